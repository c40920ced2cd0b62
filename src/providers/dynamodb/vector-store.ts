import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { withRetry } from '../../core/retry.js';
import { BatchWriter } from './batch-writer.js';
import { type Item, MIGRATED_BY, pointIdToString } from './vector-item-codec.js';

// Reads on the vector table that verify, rollback and the incremental pass need: per-collection item
// streams (Query on pk = collection, or a Scan filtered on `collection` when pk is a payload field),
// counts, BatchGetItem by point id, SearchVectors, and deletion of the items this tool wrote.

export interface VectorStoreOptions {
  table: string;
  /** pk holds a payload field rather than the collection. */
  partitionedByField: boolean;
  signal?: AbortSignal;
}

export function vectorStore(client: DynamoDBClient, options: VectorStoreOptions) {
  const sdk = () => import('@aws-sdk/client-dynamodb');
  const { table, signal } = options;

  /** Pages of items of one collection (only those this tool wrote when `ownOnly`), projected to `attributes`. */
  async function* itemsOf(
    collection: string,
    opts: { attributes?: string[]; ownOnly?: boolean } = {},
  ): AsyncGenerator<Item[]> {
    const { QueryCommand, ScanCommand } = await sdk();
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ':c': { S: collection } };
    const filters: string[] = [];
    if (options.partitionedByField) {
      names['#c'] = 'collection';
      filters.push('#c = :c');
    }
    if (opts.ownOnly) {
      names['#m'] = 'migrated_by';
      values[':m'] = { S: MIGRATED_BY };
      filters.push('#m = :m');
    }
    const projection = opts.attributes
      ?.map((a, i) => {
        names[`#p${i}`] = a;
        return `#p${i}`;
      })
      .join(', ');
    let start: Record<string, AttributeValue> | undefined;
    do {
      const common = {
        TableName: table,
        ExpressionAttributeValues: values,
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ...(projection ? { ProjectionExpression: projection } : {}),
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      };
      const out = options.partitionedByField
        ? await withRetry(() => client.send(new ScanCommand(common)), { signal })
        : await withRetry(
            () => client.send(new QueryCommand({ ...common, KeyConditionExpression: 'pk = :c' })),
            { signal },
          );
      yield (out.Items ?? []) as Item[];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  return {
    itemsOf,

    async count(collection: string): Promise<number> {
      let n = 0;
      for await (const page of itemsOf(collection, { attributes: ['pk'] })) n += page.length;
      return n;
    },

    async get(keys: { pk: string; sk: string }[]): Promise<Item[]> {
      const { BatchGetItemCommand } = await sdk();
      const found: Item[] = [];
      for (let i = 0; i < keys.length; i += 100) {
        let request: Record<string, AttributeValue>[] | undefined = keys
          .slice(i, i + 100)
          .map((k) => ({ pk: { S: k.pk }, sk: { S: k.sk } }));
        for (let attempt = 0; request && request.length > 0 && attempt < 8; attempt++) {
          const keysNow: Record<string, AttributeValue>[] = request;
          const out = await withRetry(
            () =>
              client.send(
                new BatchGetItemCommand({
                  RequestItems: { [table]: { Keys: keysNow, ConsistentRead: true } },
                }),
              ),
            { signal },
          );
          found.push(...((out.Responses?.[table] ?? []) as Item[]));
          request = out.UnprocessedKeys?.[table]?.Keys as Record<string, AttributeValue>[] | undefined;
        }
      }
      return found;
    },

    async search(
      indexName: string,
      vector: Float32Array,
      topK: number,
      equals: Record<string, string>,
    ): Promise<string[]> {
      const { SearchVectorsCommand } = await sdk();
      const names: Record<string, string> = {};
      const values: Record<string, AttributeValue> = {};
      const parts = Object.entries(equals).map(([attr, value], i) => {
        names[`#a${i}`] = attr;
        values[`:v${i}`] = { S: value };
        return `#a${i} = :v${i}`;
      });
      const out = await withRetry(
        () =>
          client.send(
            new SearchVectorsCommand({
              TableName: table,
              IndexName: indexName,
              TopK: topK,
              SearchVector: Array.from(vector, (x) => ({ N: String(x) })),
              ...(parts.length > 0
                ? {
                    SearchConditionExpression: parts.join(' AND '),
                    ExpressionAttributeNames: names,
                    ExpressionAttributeValues: values,
                  }
                : {}),
            }),
          ),
        { signal },
      );
      return (out.SearchResults ?? []).map((r) => r.Item?.point_id?.S ?? '');
    },

    /** Deletes the items of `collection` that carry this tool's marker; returns how many. */
    async deleteOwn(collection: string, concurrency: number): Promise<number> {
      const writer = new BatchWriter(client, {
        table,
        concurrency,
        writesPerSecond: 0,
        ...(signal ? { signal } : {}),
      });
      let n = 0;
      for await (const page of itemsOf(collection, { attributes: ['pk', 'sk'], ownOnly: true })) {
        n += await writer.delete(page.map((i) => ({ pk: i.pk!, sk: i.sk! })));
      }
      return n;
    },

    keyOf(collection: string, id: number | string, partitionValue?: string): { pk: string; sk: string } {
      return options.partitionedByField
        ? { pk: partitionValue ?? '', sk: `${collection}#${pointIdToString(id)}` }
        : { pk: collection, sk: pointIdToString(id) };
    },
  };
}

export type VectorStore = ReturnType<typeof vectorStore>;
