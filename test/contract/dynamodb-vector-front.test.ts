import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  BatchGetItemCommand,
  type BatchGetItemOutput,
  BatchWriteItemCommand,
  type BatchWriteItemOutput,
  type BulkOperationDescription,
  BulkOperationStatus,
  CreateTableCommand,
  type CreateTableOutput,
  DeleteTableCommand,
  DescribeBulkOperationCommand,
  type DescribeBulkOperationOutput,
  DescribeTableCommand,
  type DescribeTableOutput,
  DynamoDBClient,
  IndexStatus,
  QueryCommand,
  type QueryOutput,
  ScanCommand,
  type ScanOutput,
  type SearchResultItem,
  SearchVectorsCommand,
  type SearchVectorsOutput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  StartBulkPutItemsCommand,
  type StartBulkPutItemsCommandInput,
  type StartBulkPutItemsOutput,
  type TableDescription,
  TableStatus,
  UpdateTableCommand,
  type UpdateTableOutput,
  type VectorIndex,
  type VectorIndexDescription,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DeserializeHandler, DeserializeHandlerArguments, HandlerExecutionContext } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DynamoDbVectorFront,
  startDynamoDbVectorFront,
} from '../../src/sandbox/dynamodb-vector-front.js';
import { type S3rverProcess, startS3rverProcess } from '../../src/sandbox/s3rver-process.js';
import { LOCAL_CREDENTIALS } from '../../src/sandbox/stack.js';
import { createBucket, s3Client } from '../helpers/files-fixtures.js';

// The DynamoDB vector front (dynalite plus what it lacks: vector indexes, SearchVectors, bulk
// operations) checked against the real SDK's shapes: every operation src/providers/dynamodb sends,
// through @aws-sdk/client-dynamodb, with the production code's own parameters. For each answer the raw
// JSON is kept (a middleware inside the SDK's deserializer) and its members are checked against the
// member names the SDK's output types declare (the name lists below are typed `(keyof Output)[]`, so
// tsc fails if one is not in the pinned SDK), and the deserialized output against the SDK's enums.

const TABLE = 'front-contract';
const DIMS = 3;

/** Member names of an SDK shape; tsc checks each against the SDK's declared type. */
const members = <T>(...names: (keyof T & string)[]) => names;

const TABLE_DESCRIPTION = members<TableDescription>(
  'AttributeDefinitions',
  'TableName',
  'KeySchema',
  'TableStatus',
  'CreationDateTime',
  'ProvisionedThroughput',
  'TableSizeBytes',
  'ItemCount',
  'TableArn',
  'TableId',
  'BillingModeSummary',
  'LocalSecondaryIndexes',
  'GlobalSecondaryIndexes',
  'StreamSpecification',
  'LatestStreamLabel',
  'LatestStreamArn',
  'GlobalTableVersion',
  'Replicas',
  'RestoreSummary',
  'SSEDescription',
  'ArchivalSummary',
  'TableClassSummary',
  'DeletionProtectionEnabled',
  'OnDemandThroughput',
  'WarmThroughput',
  'MultiRegionConsistency',
  'VectorIndexes',
);
const VECTOR_INDEX_DESCRIPTION = members<VectorIndexDescription>(
  'IndexName',
  'SearchSchema',
  'Projection',
  'VectorAttribute',
  'Dimensions',
  'DistanceFunction',
  'IndexStatus',
  'Backfilling',
  'IndexSizeBytes',
  'ItemCount',
  'IndexArn',
);
const BULK_DESCRIPTION = members<BulkOperationDescription>(
  'BulkOperationArn',
  'BulkOperationStatus',
  'TableDetails',
  'ClientToken',
  'InputS3Configuration',
  'OutputS3Configuration',
  'StartTime',
  'EndTime',
  'ProcessedItemCount',
  'ProcessedInputBytes',
  'TotalInputBytes',
  'BulkOperationUsage',
  'FailedItemCount',
  'FailureCode',
  'FailureMessage',
  'MaxWriteRequestUnits',
  'PerformanceTier',
);

let front: DynamoDbVectorFront;
let s3rver: S3rverProcess;
let s3: S3Client;
let client: DynamoDBClient;
/** Raw JSON of the last answer, per operation. */
const raw = new Map<string, Record<string, unknown>>();

const keysOf = (value: unknown) => Object.keys((value ?? {}) as Record<string, unknown>);
const expectOnlyDeclared = (value: unknown, declared: readonly string[], what: string) => {
  const extra = keysOf(value).filter((k) => !declared.includes(k));
  expect(extra, `${what}: members the SDK does not declare`).toEqual([]);
};
const rawOf = (op: string) => raw.get(op) as Record<string, unknown>;

const INDEX = {
  IndexName: 'by-embedding',
  VectorAttribute: { AttributeName: 'embedding' },
  Dimensions: DIMS,
  DistanceFunction: 'COSINE',
  SearchSchema: [{ AttributeName: 'bot_id', SearchSchemaElementType: 'INLINE_FILTER' }],
  Projection: { ProjectionType: 'ALL' },
} satisfies VectorIndex;

const item = (id: string, vector: number[], bot = 'b1') => ({
  pk: { S: 'docs' },
  sk: { S: id },
  bot_id: { S: bot },
  embedding: { L: vector.map((x) => ({ N: String(x) })) },
  payload: { M: { n: { N: '1' }, tags: { L: [{ S: 'x' }] }, none: { NULL: true } } },
});

beforeAll(async () => {
  s3rver = await startS3rverProcess();
  s3 = s3Client(s3rver.endpoint);
  await createBucket(s3, 'staging');
  front = await startDynamoDbVectorFront({
    s3: { endpoint: s3rver.endpoint, credentials: { ...LOCAL_CREDENTIALS } },
  });
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: front.url,
    credentials: { ...LOCAL_CREDENTIALS },
    maxAttempts: 1,
  });
  client.middlewareStack.addRelativeTo(
    (next: DeserializeHandler<ServiceInputTypes, ServiceOutputTypes>, context: HandlerExecutionContext) =>
      async (args: DeserializeHandlerArguments<ServiceInputTypes>) => {
        const out = await next(args);
        const response = out.response as { statusCode?: number; body?: Readable };
        if (response.body) {
          const chunks: Buffer[] = [];
          for await (const c of response.body) chunks.push(Buffer.from(c as Uint8Array));
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode === 200)
            raw.set(String(context.commandName).replace(/Command$/, ''), JSON.parse(text));
          response.body = Readable.from([Buffer.from(text)]);
        }
        return out;
      },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'keepRawAnswer' },
  );
});

afterAll(async () => {
  client?.destroy();
  s3?.destroy();
  await front?.stop();
  await s3rver?.stop();
});

describe('DynamoDB vector front against the SDK shapes', () => {
  it('CreateTable with VectorIndexes (the table manager parameters): TableDescription.VectorIndexes', async () => {
    const out: CreateTableOutput = await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        VectorIndexes: [INDEX],
        Tags: [{ Key: 'created-by', Value: 'engify-migrate' }],
      }),
    );
    expectOnlyDeclared(
      rawOf('CreateTable'),
      members<CreateTableOutput>('TableDescription'),
      'CreateTableOutput',
    );
    const raw = rawOf('CreateTable').TableDescription as Record<string, unknown>;
    expectOnlyDeclared(raw, TABLE_DESCRIPTION, 'TableDescription');
    for (const ix of raw.VectorIndexes as unknown[])
      expectOnlyDeclared(ix, VECTOR_INDEX_DESCRIPTION, 'VectorIndexDescription');
    const d = out.TableDescription;
    expect(Object.values(TableStatus)).toContain(d?.TableStatus);
    expect(d?.CreationDateTime).toBeInstanceOf(Date);
    expect(d?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(d?.VectorIndexes).toHaveLength(1);
    expect(d?.VectorIndexes?.[0]).toMatchObject({ ...INDEX });
    expect(Object.values(IndexStatus)).toContain(d?.VectorIndexes?.[0]?.IndexStatus);
    expect(typeof d?.VectorIndexes?.[0]?.IndexArn).toBe('string');
  });

  it('DescribeTable: Table with TableStatus and each VectorIndexDescription', async () => {
    const out: DescribeTableOutput = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expectOnlyDeclared(rawOf('DescribeTable'), members<DescribeTableOutput>('Table'), 'DescribeTableOutput');
    expectOnlyDeclared(rawOf('DescribeTable').Table, TABLE_DESCRIPTION, 'TableDescription');
    expect(out.Table?.TableStatus).toBe('ACTIVE');
    const ix = out.Table?.VectorIndexes?.[0];
    expect(ix?.IndexStatus).toBe('ACTIVE');
    expect(ix?.Backfilling).toBe(false);
    expect(typeof ix?.ItemCount).toBe('number');
    expect(typeof ix?.IndexSizeBytes).toBe('number');
  });

  it('UpdateTable VectorIndexUpdates Create then Delete: one index per call, described back', async () => {
    const second = {
      ...INDEX,
      IndexName: 'by-embedding-dot',
      DistanceFunction: 'DOT_PRODUCT',
    } satisfies VectorIndex;
    const created: UpdateTableOutput = await client.send(
      new UpdateTableCommand({ TableName: TABLE, VectorIndexUpdates: [{ Create: second }] }),
    );
    expectOnlyDeclared(
      rawOf('UpdateTable'),
      members<UpdateTableOutput>('TableDescription'),
      'UpdateTableOutput',
    );
    expectOnlyDeclared(rawOf('UpdateTable').TableDescription, TABLE_DESCRIPTION, 'TableDescription');
    expect(created.TableDescription?.VectorIndexes?.map((i) => i.IndexName)).toEqual([
      'by-embedding',
      'by-embedding-dot',
    ]);
    const deleted: UpdateTableOutput = await client.send(
      new UpdateTableCommand({
        TableName: TABLE,
        VectorIndexUpdates: [{ Delete: { IndexName: second.IndexName } }],
      }),
    );
    expect(deleted.TableDescription?.VectorIndexes?.map((i) => i.IndexName)).toEqual(['by-embedding']);
    // The documented refusals, as SDK errors with the service's exception names.
    const missing = await client
      .send(
        new UpdateTableCommand({ TableName: TABLE, VectorIndexUpdates: [{ Delete: { IndexName: 'nope' } }] }),
      )
      .catch((e: unknown) => e);
    expect((missing as Error).name).toBe('ResourceNotFoundException');
    const two = await client
      .send(
        new UpdateTableCommand({
          TableName: TABLE,
          VectorIndexUpdates: [{ Create: second }, { Delete: { IndexName: 'by-embedding' } }],
        }),
      )
      .catch((e: unknown) => e);
    expect((two as Error).name).toBe('ValidationException');
  });

  it('BatchWriteItem and BatchGetItem (the writer and the verify read): UnprocessedItems / Responses', async () => {
    const vectors: [string, number[], string][] = [
      ['1', [1, 0, 0], 'b1'],
      ['2', [0, 1, 0], 'b1'],
      ['3', [0.9, 0.1, 0], 'b2'],
      ['4', [-1, 0, 0], 'b1'],
    ];
    const w: BatchWriteItemOutput = await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: vectors.map(([id, v, bot]) => ({ PutRequest: { Item: item(id, v, bot) } })),
        },
      }),
    );
    expectOnlyDeclared(
      rawOf('BatchWriteItem'),
      members<BatchWriteItemOutput>('UnprocessedItems', 'ItemCollectionMetrics', 'ConsumedCapacity'),
      'BatchWriteItemOutput',
    );
    expect(w.UnprocessedItems?.[TABLE] ?? []).toEqual([]);
    // The front's injected fault answers the documented UnprocessedItems shape, which the SDK reads back.
    front.faults.unprocessed(1);
    const partial = await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [item('5', [0, 0, 1], 'b2'), item('6', [0, 0, 1], 'b2')].map((Item) => ({
            PutRequest: { Item },
          })),
        },
      }),
    );
    expect(partial.UnprocessedItems?.[TABLE]?.[0]?.PutRequest?.Item?.sk).toEqual({ S: '6' });
    const g: BatchGetItemOutput = await client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [TABLE]: {
            Keys: [
              { pk: { S: 'docs' }, sk: { S: '1' } },
              { pk: { S: 'docs' }, sk: { S: '9' } },
            ],
            ConsistentRead: true,
          },
        },
      }),
    );
    expectOnlyDeclared(
      rawOf('BatchGetItem'),
      members<BatchGetItemOutput>('Responses', 'UnprocessedKeys', 'ConsumedCapacity'),
      'BatchGetItemOutput',
    );
    expect(g.Responses?.[TABLE]).toEqual([item('1', [1, 0, 0])]);
  });

  it('Query and Scan (the store reads) with projection and paging: Items, Count, LastEvaluatedKey', async () => {
    const declared = members<QueryOutput & ScanOutput>(
      'Items',
      'Count',
      'ScannedCount',
      'LastEvaluatedKey',
      'ConsumedCapacity',
    );
    const q: QueryOutput = await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :c',
        ExpressionAttributeValues: { ':c': { S: 'docs' } },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
        Limit: 2,
      }),
    );
    expectOnlyDeclared(rawOf('Query'), declared, 'QueryOutput');
    expect(q.Items).toEqual([
      { pk: { S: 'docs' }, sk: { S: '1' } },
      { pk: { S: 'docs' }, sk: { S: '2' } },
    ]);
    expect(q.Count).toBe(2);
    expect(q.LastEvaluatedKey).toEqual({ pk: { S: 'docs' }, sk: { S: '2' } });
    const s: ScanOutput = await client.send(
      new ScanCommand({ TableName: TABLE, ProjectionExpression: 'pk', ConsistentRead: true }),
    );
    expectOnlyDeclared(rawOf('Scan'), declared, 'ScanOutput');
    expect(s.Count).toBe(5);
    expect(s.ScannedCount).toBe(5);
  });

  it('SearchVectors (the search the verify runs): SearchResults of {Item, Score}, in distance order, filtered', async () => {
    const out: SearchVectorsOutput = await client.send(
      new SearchVectorsCommand({
        TableName: TABLE,
        IndexName: INDEX.IndexName,
        TopK: 3,
        SearchVector: [1, 0, 0].map((x) => ({ N: String(x) })),
        SearchConditionExpression: '#f0 = :v0',
        ExpressionAttributeNames: { '#f0': 'bot_id' },
        ExpressionAttributeValues: { ':v0': { S: 'b1' } },
      }),
    );
    expectOnlyDeclared(
      rawOf('SearchVectors'),
      members<SearchVectorsOutput>('ConsumedCapacity', 'SearchResults'),
      'SearchVectorsOutput',
    );
    for (const r of rawOf('SearchVectors').SearchResults as unknown[]) {
      expectOnlyDeclared(r, members<SearchResultItem>('Item', 'Score'), 'SearchResultItem');
    }
    const results = out.SearchResults ?? [];
    expect(results.map((r) => r.Item?.sk?.S)).toEqual(['1', '2', '4']);
    for (const r of results) expect(typeof r.Score).toBe('number');
    expect(results[0]?.Score).toBeCloseTo(0, 6); // COSINE: 1 - cosine similarity, ascending
    expect(results[2]?.Score).toBeCloseTo(2, 6);
    // Without a condition, every item with a vector of the index's dimensions competes.
    const all = await client.send(
      new SearchVectorsCommand({
        TableName: TABLE,
        IndexName: INDEX.IndexName,
        TopK: 10,
        SearchVector: [{ N: '0' }, { N: '0' }, { N: '1' }],
      }),
    );
    expect(all.SearchResults?.[0]?.Item?.sk?.S).toBe('5');
    expect(all.SearchResults).toHaveLength(5);
    const wrongDims = await client
      .send(
        new SearchVectorsCommand({
          TableName: TABLE,
          IndexName: INDEX.IndexName,
          TopK: 1,
          SearchVector: [{ N: '1' }],
        }),
      )
      .catch((e: unknown) => e);
    expect((wrongDims as Error).name).toBe('ValidationException');
  });

  it('StartBulkPutItems and DescribeBulkOperation (the bulk import parameters): BulkOperationDescription', async () => {
    const lines = ['7', '8'].map((id) => JSON.stringify({ Item: item(id, [0, 1, 1]) })).join('\n');
    await s3.send(
      new PutObjectCommand({ Bucket: 'staging', Key: 'in/part-0.json.gz', Body: gzipSync(`${lines}\n`) }),
    );
    front.bulk.hold();
    const start = {
      ClientToken: 'contract-token-1',
      TableName: TABLE,
      InputS3Configuration: {
        S3Bucket: 'staging',
        S3KeyPrefix: 'in/',
        InputFormat: 'DYNAMODB_JSON',
        InputCompressionType: 'GZIP',
      },
      OutputS3Configuration: { S3Bucket: 'staging', S3KeyPrefix: 'report/', OutputType: ['ERROR'] },
    } satisfies StartBulkPutItemsCommandInput;
    const started: StartBulkPutItemsOutput = await client.send(new StartBulkPutItemsCommand(start));
    expectOnlyDeclared(
      rawOf('StartBulkPutItems'),
      members<StartBulkPutItemsOutput>('BulkOperationDescription'),
      'StartBulkPutItemsOutput',
    );
    expectOnlyDeclared(
      rawOf('StartBulkPutItems').BulkOperationDescription,
      BULK_DESCRIPTION,
      'BulkOperationDescription',
    );
    const d = started.BulkOperationDescription;
    expect(d?.BulkOperationStatus).toBe('IN_PROGRESS');
    expect(d?.StartTime).toBeInstanceOf(Date);
    expect(d?.EndTime).toBeUndefined();
    expect(d?.ClientToken).toBe('contract-token-1');
    expect(d?.TableDetails?.[0]?.TableName).toBe(TABLE);
    // The same ClientToken answers the same operation (the production code retries on it).
    const again = await client.send(new StartBulkPutItemsCommand(start));
    expect(again.BulkOperationDescription?.BulkOperationArn).toBe(d?.BulkOperationArn);
    front.bulk.release();
    await front.bulk.idle();
    const described: DescribeBulkOperationOutput = await client.send(
      new DescribeBulkOperationCommand({ BulkOperationArn: d?.BulkOperationArn }),
    );
    expectOnlyDeclared(
      rawOf('DescribeBulkOperation'),
      members<DescribeBulkOperationOutput>('BulkOperationDescription'),
      'DescribeBulkOperationOutput',
    );
    expectOnlyDeclared(
      rawOf('DescribeBulkOperation').BulkOperationDescription,
      BULK_DESCRIPTION,
      'BulkOperationDescription',
    );
    const done = described.BulkOperationDescription;
    expect(Object.values(BulkOperationStatus)).toContain(done?.BulkOperationStatus);
    expect(done?.BulkOperationStatus).toBe('COMPLETED');
    expect(done?.ProcessedItemCount).toBe(2);
    expect(done?.FailedItemCount).toBe(0);
    expect(done?.EndTime).toBeInstanceOf(Date);
    expect((done?.EndTime as Date).getTime()).toBeGreaterThanOrEqual((done?.StartTime as Date).getTime());
    const gone = await client
      .send(new DescribeBulkOperationCommand({ BulkOperationArn: `${d?.BulkOperationArn}-nope` }))
      .catch((e: unknown) => e);
    expect((gone as Error).name).toBe('ResourceNotFoundException');
  });

  it('DeleteTable: TableDescription, then DescribeTable answers ResourceNotFoundException', async () => {
    await client.send(new DeleteTableCommand({ TableName: TABLE }));
    expectOnlyDeclared(rawOf('DeleteTable').TableDescription, TABLE_DESCRIPTION, 'TableDescription');
    const e = await client.send(new DescribeTableCommand({ TableName: TABLE })).catch((x: unknown) => x);
    expect((e as Error).name).toBe('ResourceNotFoundException');
    expect(front.vectorIndexes(TABLE)).toEqual([]);
  });
});
