import {
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  StartBulkPutItemsCommand,
  type StartBulkPutItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorsCopyStep } from '../../src/components/vectors/vectors-copy.js';
import type { Check } from '../../src/core/step.js';
import { EngineSession } from '../../src/engine/session.js';
import {
  type DynamoDbVectorFront,
  startDynamoDbVectorFront,
} from '../../src/sandbox/dynamodb-vector-front.js';
import { type QdrantStandIn, startQdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { type S3rverProcess, startS3rverProcess } from '../../src/sandbox/s3rver-process.js';
import { qdrantRequester, seedRandomCollection } from '../helpers/qdrant-seed.js';
import { loadTestConfig } from '../helpers/session.js';
import { applyVectorsTable } from '../helpers/vectors-table.js';

// vectors.copy's bulk path (StartBulkPutItems) end to end: Qdrant stand-in -> gzip DYNAMODB_JSON objects
// in s3rver -> the DynamoDB front's bulk operation -> dynalite; the small collection stays on BatchWriteItem.

const API_KEY = 'qdrant-bulk-key-123';
const BUCKET = 'bulk-files';
// A fresh object each time: the AWS SDK tags credential objects it is given (a `$source` key).
const creds = () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
let qdrant: QdrantStandIn;
let s3rver: S3rverProcess;
let front: DynamoDbVectorFront;
let raw: DynamoDBClient;
let s3: S3Client;

const q = qdrantRequester(() => qdrant.url, API_KEY);
const seedCollection = (name: string, distance: string, n: number, dims: number, seed: number) =>
  seedRandomCollection(q, name, distance, n, { dims, seed, uuidEvery: 4 });

function config(table: string, collections: string[], extra: { s3?: boolean } = {}) {
  return {
    project: 'vectors-bulk-test',
    source: { qdrant: { url: qdrant.url, apiKey: API_KEY, collections, scrollPageSize: 20 } },
    target: {
      aws: {
        region: 'us-east-1',
        credentials: creds(),
        endpoints: { dynamodb: front.url, s3: s3rver.endpoint },
        maxAttempts: 2,
      },
      dynamodb: {
        vectorTable: table,
        verifySampleSize: 10,
        writeConcurrency: 4,
        bulkThresholdPoints: 100,
        bulkObjectPoints: 50,
        bulkPollIntervalMs: 20,
      },
      ...(extra.s3 === false ? {} : { s3: { bucket: BUCKET } }),
    },
  };
}

async function countItems(table: string): Promise<number> {
  let n = 0;
  let start: Record<string, never> | undefined;
  do {
    const out = await raw.send(
      new ScanCommand({ TableName: table, Select: 'COUNT', ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return n;
}

async function stagedKeys(prefix = 'engify-bulk/'): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

const failed = (checks: Check[]) => checks.filter((c) => !c.ok);
const starts = (table: string) =>
  front.requests.filter((r) => r.op === 'StartBulkPutItems' && r.table === table);

async function createTable(session: EngineSession) {
  await applyVectorsTable(session);
}

beforeAll(async () => {
  [qdrant, s3rver] = await Promise.all([startQdrantStandIn({ apiKey: API_KEY }), startS3rverProcess()]);
  front = await startDynamoDbVectorFront({ s3: { endpoint: s3rver.endpoint, credentials: creds() } });
  raw = new DynamoDBClient({ region: 'us-east-1', endpoint: front.url, credentials: creds() });
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: s3rver.endpoint,
    credentials: creds(),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await seedCollection('big', 'Cosine', 130, 8, 1);
  // One point DynamoDB cannot store (a 420 KB payload): rejected per point, as on the batch path.
  qdrant.seed('big', [
    { id: 999_999, vector: [0.1, 0.2, 0, 0, 0, 0, 0, 0.3], payload: { text: 'x'.repeat(420_000) } },
  ]);
  await seedCollection('small', 'Dot', 30, 8, 2);
  await seedCollection('resume', 'Cosine', 150, 8, 3);
}, 30_000);

afterAll(async () => {
  raw?.destroy();
  s3?.destroy();
  await front?.stop();
  await Promise.all([qdrant?.stop(), s3rver?.stop()]);
});

describe('vectors.copy bulk path (StartBulkPutItems)', () => {
  it('plans bulk for the big collection and batch for the small one, imports, verifies, cleans up, reruns as a noop', async () => {
    const session = new EngineSession(loadTestConfig(config('vec-bulk', ['big', 'small'])));
    try {
      await createTable(session);
      const ctx = session.context(vectorsCopyStep);
      const changes = await vectorsCopyStep.plan(ctx);
      const byName = Object.fromEntries(
        changes.map((c) => [(c.details as { collection: string }).collection, c]),
      );
      expect(byName.big?.details).toMatchObject({
        points: 131,
        path: 'bulk-import (StartBulkPutItems)',
        staging: `s3://${BUCKET}/engify-bulk/big/`,
      });
      expect(byName.big?.summary).toMatch(
        /131 points, above target.dynamodb.bulkThresholdPoints \(100\).*StartBulkPutItems/,
      );
      expect(byName.small?.details).toMatchObject({ points: 30, path: 'BatchWriteItem' });
      expect(byName.small?.summary).toMatch(/BatchWriteItem/);

      for (const change of changes) await vectorsCopyStep.apply(ctx, change);
      expect(await countItems('vec-bulk')).toBe(160);
      // One import for big; small went through BatchWriteItem only (30 items), big never did.
      expect(starts('vec-bulk')).toHaveLength(1);
      const batchItems = front.requests
        .filter((r) => r.op === 'BatchWriteItem' && r.table === 'vec-bulk')
        .reduce((n, r) => n + (r.items ?? 0), 0);
      expect(batchItems).toBe(30);
      expect(await stagedKeys()).toEqual([]);
      const result = session.journal.all().find((r) => r.type === 'output' && r.key === 'bulk-result:big');
      expect(result).toMatchObject({ value: { status: 'COMPLETED', processed: 130, failed: 0 } });

      const checks = await vectorsCopyStep.verify(ctx);
      // The oversized point is rejected per point, exactly as on the batch path; everything else passes.
      expect(failed(checks).map((c) => c.name)).toEqual(['vectors big: rejected points']);
      const rejected = checks.find((c) => c.name === 'vectors big: rejected points');
      expect(rejected?.actual).toMatchObject({
        count: 1,
        points: [{ id: '999999', reason: expect.stringMatching(/400 KB/) }],
      });
      expect(checks.find((c) => c.name === 'vectors big: count')).toMatchObject({ ok: true, actual: 130 });
      expect(checks.find((c) => c.name.startsWith('vectors big: sampled'))).toMatchObject({
        ok: true,
        actual: 10,
      });
      expect(checks.find((c) => c.name.startsWith('vectors big: recall'))).toMatchObject({
        ok: true,
        actual: 1,
      });

      // Rerun: nothing to do, no second import, no new writes.
      const requestsBefore = front.requests.length;
      const again = await vectorsCopyStep.plan(ctx);
      expect(again.every((c) => c.action === 'noop')).toBe(true);
      for (const change of again) await vectorsCopyStep.apply(ctx, change);
      expect(starts('vec-bulk')).toHaveLength(1);
      expect(front.requests.slice(requestsBefore).filter((r) => r.op !== 'DescribeTable')).toEqual([]);

      await vectorsCopyStep.rollback!(ctx);
      expect(await countItems('vec-bulk')).toBe(0);
    } finally {
      await session.close();
    }
  });

  it('resumes a journaled in-flight import after a kill instead of starting a second one', async () => {
    const loaded = loadTestConfig(config('vec-bulk-resume', ['resume']));
    const kill = new AbortController();
    const killed = new EngineSession(loaded, { signal: kill.signal });
    front.bulk.hold();
    try {
      await createTable(killed);
      const ctx = killed.context(vectorsCopyStep);
      const [change] = await vectorsCopyStep.plan(ctx);
      expect(change?.details).toMatchObject({ path: 'bulk-import (StartBulkPutItems)' });
      // Kill once the import has started and is being polled.
      const polled = front.nextRequest('DescribeBulkOperation');
      const run = vectorsCopyStep.apply(ctx, change!).catch((e: unknown) => e);
      await polled;
      kill.abort(new Error('kill -9'));
      expect(await run).toBeInstanceOf(Error);
    } finally {
      await killed.close();
    }
    expect(starts('vec-bulk-resume')).toHaveLength(1);
    expect(await countItems('vec-bulk-resume')).toBe(0); // held: nothing imported yet
    expect((await stagedKeys('engify-bulk/resume/input/')).length).toBe(3); // 150 points, 50 per object

    const second = new EngineSession(loaded);
    try {
      const ctx = second.context(vectorsCopyStep);
      const logs: string[] = [];
      const logged = { ...ctx, log: (m: string) => logs.push(m) };
      const [change] = await vectorsCopyStep.plan(ctx);
      const scrollsBefore = qdrant.requests.filter((r) => r.path.endsWith('/scroll')).length;
      // Let the held import finish once the rerun is polling it (it resumed the journaled job).
      void front.nextRequest('DescribeBulkOperation').then(() => front.bulk.release());
      await vectorsCopyStep.apply(logged, change!);
      expect(logs.some((m) => /resuming the journaled bulk import .* \(IN_PROGRESS\)/.test(m))).toBe(true);
      // Same job, no restaging, all points in, staging gone, verify green.
      expect(starts('vec-bulk-resume')).toHaveLength(1);
      expect(qdrant.requests.filter((r) => r.path.endsWith('/scroll')).length).toBe(scrollsBefore);
      expect(await countItems('vec-bulk-resume')).toBe(150);
      expect(await stagedKeys('engify-bulk/resume/')).toEqual([]);
      expect(failed(await vectorsCopyStep.verify(ctx))).toEqual([]);
    } finally {
      front.bulk.release();
      await second.close();
    }
  });

  it('StartBulkPutItems with the same ClientToken returns the same operation; other parameters are refused', async () => {
    await raw.send(
      new CreateTableCommand({
        TableName: 'vec-token',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      }),
    );
    const input: StartBulkPutItemsCommandInput = {
      ClientToken: 'token-1',
      TableName: 'vec-token',
      InputS3Configuration: { S3Bucket: BUCKET, S3KeyPrefix: 'nothing-here/', InputFormat: 'DYNAMODB_JSON' },
      OutputS3Configuration: { S3Bucket: BUCKET, S3KeyPrefix: 'reports/', OutputType: ['ERROR'] },
    };
    const a = await raw.send(new StartBulkPutItemsCommand(input));
    const b = await raw.send(new StartBulkPutItemsCommand(input));
    expect(a.BulkOperationDescription?.BulkOperationArn).toBeTruthy();
    expect(b.BulkOperationDescription?.BulkOperationArn).toBe(a.BulkOperationDescription?.BulkOperationArn);
    await expect(
      raw.send(new StartBulkPutItemsCommand({ ...input, TableName: 'vec-bulk' })),
    ).rejects.toMatchObject({ name: 'IdempotentParameterMismatchException' });
  });

  it('refuses the bulk path with a config error naming the missing staging fields', async () => {
    const session = new EngineSession(loadTestConfig(config('vec-bulk-nos3', ['big'], { s3: false })));
    try {
      const error = await vectorsCopyStep.plan(session.context(vectorsCopyStep)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'VECTORS_BULK_STAGING_MISSING', kind: 'config' });
      expect((error as Error).message).toMatch(/target\.dynamodb\.bulkStaging\.bucket.*target\.s3\.bucket/);
    } finally {
      await session.close();
    }
  });
});
