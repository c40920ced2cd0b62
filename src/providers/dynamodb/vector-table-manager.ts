import type { DynamoDBClient, TableDescription, VectorIndex } from '@aws-sdk/client-dynamodb';
import type { CreatedResource, Json, ObservedResource, ResourceManager } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { sleep, withRetry } from '../../core/retry.js';

// The vector table: on-demand (vector indexes require it), keyed pk (HASH, S) + sk (RANGE, S), with one
// native vector index per (dimensions, distance) among the migrated collections.

export interface DesiredVectorTable {
  table: string;
  indexes: VectorIndex[];
}

export const TABLE_KIND = 'dynamodb-table';
export const INDEX_KIND = 'dynamodb-vector-index';

export interface VectorTableManager extends ResourceManager<DesiredVectorTable> {
  addIndex(table: string, index: VectorIndex): Promise<CreatedResource>;
  deleteIndex(resource: CreatedResource): Promise<void>;
  /** Vector indexes in `desired` missing from the observed table. */
  missingIndexes(desired: DesiredVectorTable, observed: ObservedResource): VectorIndex[];
}

const isNotFound = (e: unknown) => (e as { name?: string })?.name === 'ResourceNotFoundException';

function indexSummary(ix: {
  IndexName?: string;
  VectorAttribute?: { AttributeName?: string };
  Dimensions?: number;
  DistanceFunction?: string;
  SearchSchema?: { AttributeName?: string; SearchSchemaElementType?: string }[];
}): Record<string, Json> {
  return {
    name: ix.IndexName ?? '',
    attribute: ix.VectorAttribute?.AttributeName ?? '',
    dimensions: ix.Dimensions ?? 0,
    distance: ix.DistanceFunction ?? '',
    searchSchema: (ix.SearchSchema ?? []).map((e) => `${e.AttributeName}:${e.SearchSchemaElementType}`),
  };
}

export function vectorTableManager(client: DynamoDBClient, signal?: AbortSignal): VectorTableManager {
  const sdk = () => import('@aws-sdk/client-dynamodb');

  const describe = async (table: string): Promise<TableDescription | undefined> => {
    const { DescribeTableCommand } = await sdk();
    try {
      return (await withRetry(() => client.send(new DescribeTableCommand({ TableName: table })), { signal }))
        .Table;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  const waitActive = async (table: string, index?: string) => {
    const deadline = Date.now() + 10 * 60_000;
    for (let i = 0; Date.now() < deadline; i++) {
      const t = await describe(table);
      const ix = index ? t?.VectorIndexes?.find((x) => x.IndexName === index) : undefined;
      if (t?.TableStatus === 'ACTIVE' && (!index || ix?.IndexStatus === 'ACTIVE')) return;
      await sleep(Math.min(5000, 100 * 2 ** i), signal);
    }
    throw new EngifyError({
      code: 'DYNAMODB_NOT_ACTIVE',
      kind: 'transient',
      message: messages.vectors.notActive(table, index),
      hint: messages.vectors.notActiveHint,
    });
  };

  const observedIndexes = (observed: ObservedResource) =>
    ((observed.settings?.vectorIndexes ?? []) as Record<string, Json>[]).map((x) => x);

  return {
    async observe(desired) {
      const t = await describe(desired.table);
      if (!t) return { kind: TABLE_KIND, name: desired.table, exists: false };
      return {
        kind: TABLE_KIND,
        name: desired.table,
        exists: true,
        ...(t.TableArn ? { id: t.TableArn } : {}),
        settings: {
          status: t.TableStatus ?? '',
          billingMode: t.BillingModeSummary?.BillingMode ?? 'PROVISIONED',
          keySchema: (t.KeySchema ?? []).map((k) => {
            const type = t.AttributeDefinitions?.find(
              (a) => a.AttributeName === k.AttributeName,
            )?.AttributeType;
            return `${k.AttributeName}:${k.KeyType}:${type}`;
          }),
          vectorIndexes: (t.VectorIndexes ?? []).map(indexSummary),
        },
      };
    },

    async create(desired) {
      const { CreateTableCommand } = await sdk();
      const out = await withRetry(
        () =>
          client.send(
            new CreateTableCommand({
              TableName: desired.table,
              BillingMode: 'PAY_PER_REQUEST',
              AttributeDefinitions: [
                { AttributeName: 'pk', AttributeType: 'S' },
                { AttributeName: 'sk', AttributeType: 'S' },
              ],
              KeySchema: [
                { AttributeName: 'pk', KeyType: 'HASH' },
                { AttributeName: 'sk', KeyType: 'RANGE' },
              ],
              ...(desired.indexes.length > 0 ? { VectorIndexes: desired.indexes } : {}),
              Tags: [{ Key: 'created-by', Value: 'engify-migrate' }],
            }),
          ),
        { signal },
      );
      await waitActive(desired.table);
      return {
        kind: TABLE_KIND,
        name: desired.table,
        ...(out.TableDescription?.TableArn ? { id: out.TableDescription.TableArn } : {}),
      };
    },

    async addIndex(table, index) {
      const { UpdateTableCommand } = await sdk();
      await withRetry(
        () =>
          client.send(new UpdateTableCommand({ TableName: table, VectorIndexUpdates: [{ Create: index }] })),
        { signal },
      );
      await waitActive(table, index.IndexName);
      return { kind: INDEX_KIND, name: `${table}/${index.IndexName}` };
    },

    async deleteIndex(resource) {
      const { UpdateTableCommand } = await sdk();
      const [table, index] = resource.name.split('/') as [string, string];
      try {
        await withRetry(
          () =>
            client.send(
              new UpdateTableCommand({
                TableName: table,
                VectorIndexUpdates: [{ Delete: { IndexName: index } }],
              }),
            ),
          { signal },
        );
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },

    async delete(resource) {
      const { DeleteTableCommand } = await sdk();
      try {
        await withRetry(() => client.send(new DeleteTableCommand({ TableName: resource.name })), { signal });
      } catch (error) {
        if (!isNotFound(error)) throw error;
        return;
      }
      // DeleteTable returns while the table is still DELETING: wait until it is gone, so a verify or a
      // re-apply right after the rollback does not meet the old table.
      const deadline = Date.now() + 5 * 60_000;
      for (let i = 0; Date.now() < deadline; i++) {
        if ((await describe(resource.name)) === undefined) return;
        await sleep(Math.min(2000, 50 * 2 ** i), signal);
      }
    },

    missingIndexes(desired, observed) {
      const have = observedIndexes(observed);
      return desired.indexes.filter((ix) => !have.some((h) => h.name === ix.IndexName));
    },

    diff(desired, observed) {
      if (!observed.exists) return [messages.vectors.tableMissing(desired.table)];
      const lines: string[] = [];
      const s = observed.settings ?? {};
      if (s.billingMode !== 'PAY_PER_REQUEST')
        lines.push(messages.vectors.notOnDemand(desired.table, String(s.billingMode)));
      const keys = (s.keySchema ?? []) as string[];
      if (keys.join(',') !== 'pk:HASH:S,sk:RANGE:S')
        lines.push(messages.vectors.wrongKeys(desired.table, keys));
      const have = observedIndexes(observed);
      for (const want of desired.indexes) {
        const found = have.find((h) => h.name === want.IndexName);
        if (!found) {
          lines.push(messages.vectors.indexMissing(desired.table, want.IndexName ?? ''));
          continue;
        }
        const w = indexSummary(want);
        for (const field of ['attribute', 'dimensions', 'distance', 'searchSchema'] as const) {
          if (JSON.stringify(found[field]) !== JSON.stringify(w[field])) {
            lines.push(
              messages.vectors.indexDiffers(
                want.IndexName ?? '',
                field,
                found[field] ?? null,
                w[field] ?? null,
              ),
            );
          }
        }
      }
      return lines;
    },
  };
}
