import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { encodeFlagItem, scanFlags } from './dynamodb-codec.js';
import { FLAG_COMPONENTS, type FlagComponent, type FlagState, type Mode } from './modes.js';
import { FlagConflictError, type FlagStore } from './store.js';

// One item per component in an on-demand table keyed by `component`; writes are conditional on the
// version so two operators cannot flip the same flag over each other.
export function dynamoFlagStore(client: DynamoDBClient, table: string): FlagStore {
  const sdk = () => import('@aws-sdk/client-dynamodb');
  const notFound = (e: unknown) => (e as { name?: string }).name === 'ResourceNotFoundException';

  const waitActive = async () => {
    const { DescribeTableCommand } = await sdk();
    for (let i = 0; i < 120; i++) {
      const d = await client.send(new DescribeTableCommand({ TableName: table }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`flag table ${table} did not become ACTIVE within 60 s`);
  };

  return {
    location: `dynamodb table ${table}`,
    exists: async () => {
      const { DescribeTableCommand } = await sdk();
      try {
        await client.send(new DescribeTableCommand({ TableName: table }));
        return true;
      } catch (e) {
        if (notFound(e)) return false;
        throw e;
      }
    },
    create: async (by) => {
      const { CreateTableCommand, PutItemCommand } = await sdk();
      try {
        await client.send(
          new CreateTableCommand({
            TableName: table,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [{ AttributeName: 'component', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'component', KeyType: 'HASH' }],
          }),
        );
      } catch (e) {
        if ((e as { name?: string }).name !== 'ResourceInUseException') throw e;
      }
      await waitActive();
      const at = new Date().toISOString();
      for (const component of FLAG_COMPONENTS) {
        try {
          await client.send(
            new PutItemCommand({
              TableName: table,
              Item: encodeFlagItem(component, { mode: 'source', version: 1, updatedAt: at, updatedBy: by }),
              ConditionExpression: 'attribute_not_exists(component)',
            }),
          );
        } catch (e) {
          if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
        }
      }
    },
    read: async () => {
      const out = await scanFlags(client, table);
      for (const c of FLAG_COMPONENTS)
        if (!out[c]) throw new Error(`flag table ${table} has no item for ${c}`);
      return out as FlagState;
    },
    set: async (component: FlagComponent, mode: Mode, expectedVersion: number, by: string) => {
      const { UpdateItemCommand } = await sdk();
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { component: { S: component } },
            UpdateExpression: 'SET #m = :m, version = :next, updatedAt = :at, updatedBy = :by',
            ConditionExpression: 'version = :expected',
            ExpressionAttributeNames: { '#m': 'mode' },
            ExpressionAttributeValues: {
              ':m': { S: mode },
              ':next': { N: String(expectedVersion + 1) },
              ':expected': { N: String(expectedVersion) },
              ':at': { S: new Date().toISOString() },
              ':by': { S: by },
            },
          }),
        );
      } catch (e) {
        if ((e as { name?: string }).name === 'ConditionalCheckFailedException')
          throw new FlagConflictError(component);
        throw e;
      }
    },
    destroy: async () => {
      const { DeleteTableCommand, DescribeTableCommand } = await sdk();
      try {
        await client.send(new DeleteTableCommand({ TableName: table }));
      } catch (e) {
        if (!notFound(e)) throw e;
        return;
      }
      // DeleteTable is asynchronous (the table lingers as DELETING): wait until it is really gone, so
      // a verify right after the rollback sees what a user would see a moment later.
      for (let i = 0; i < 240; i++) {
        try {
          await client.send(new DescribeTableCommand({ TableName: table }));
        } catch (e) {
          if (notFound(e)) return;
          throw e;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`flag table ${table} was still being deleted after 60 s`);
    },
  };
}
