import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type FlagComponent, type FlagRecord, isMode } from './modes.js';

// The one encoding of a flag as a DynamoDB item (one item per component, keyed by `component`), shared
// by the store that writes flags and the reader apps import, so the two can never disagree on a shape.

export type FlagItem = Record<string, AttributeValue>;

export function encodeFlagItem(component: FlagComponent, record: FlagRecord): FlagItem {
  return {
    component: { S: component },
    mode: { S: record.mode },
    version: { N: String(record.version) },
    updatedAt: { S: record.updatedAt },
    updatedBy: { S: record.updatedBy },
  };
}

/** An item that is not a valid flag (unknown mode, no component) decodes to undefined. */
export function decodeFlagItem(item: FlagItem): { component: FlagComponent; record: FlagRecord } | undefined {
  const component = item.component?.S as FlagComponent | undefined;
  const mode = item.mode?.S;
  if (!component || !isMode(mode)) return undefined;
  return {
    component,
    record: {
      mode,
      version: Number(item.version?.N ?? '0'),
      updatedAt: item.updatedAt?.S ?? '',
      updatedBy: item.updatedBy?.S ?? '',
    },
  };
}

/** Every flag in the table: a consistent Scan followed through all its pages. */
export async function scanFlags(
  client: DynamoDBClient,
  table: string,
): Promise<Partial<Record<FlagComponent, FlagRecord>>> {
  const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const out: Partial<Record<FlagComponent, FlagRecord>> = {};
  let start: FlagItem | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const flag = decodeFlagItem(item);
      if (flag) out[flag.component] = flag.record;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}
