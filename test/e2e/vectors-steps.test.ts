import { DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorsCopyStep } from '../../src/components/vectors/vectors-copy.js';
import { vectorsTableStep } from '../../src/components/vectors/vectors-table.js';
import { EngifyError } from '../../src/core/errors.js';
import type { Check } from '../../src/core/step.js';
import { EngineSession } from '../../src/engine/session.js';
import {
  type DynamoDbVectorFront,
  startDynamoDbVectorFront,
} from '../../src/sandbox/dynamodb-vector-front.js';
import { type QdrantStandIn, startQdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { qdrantRequester, seedRandomCollection } from '../helpers/qdrant-seed.js';
import { loadTestConfig } from '../helpers/session.js';
import { applyVectorsTable } from '../helpers/vectors-table.js';

// vectors.table and vectors.copy driven through the Step contract with a real journal, against dynalite
// behind the vector front and the Qdrant stand-in, over HTTP with the real clients.

const API_KEY = 'qdrant-secret-key-123';
let qdrant: QdrantStandIn;
let front: DynamoDbVectorFront;
let raw: DynamoDBClient;

const q = qdrantRequester(() => qdrant.url, API_KEY);
const seedCollection = (name: string, distance: string, n: number, dims: number, seed: number) =>
  seedRandomCollection(q, name, distance, n, { dims, seed, uuidEvery: 3, score: true });

function config(table: string, collections: string[], extra: Record<string, unknown> = {}) {
  return {
    project: 'vectors-test',
    source: { qdrant: { url: qdrant.url, apiKey: API_KEY, collections, scrollPageSize: 50 } },
    target: {
      aws: {
        region: 'eu-west-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local-secret' },
        endpoints: { dynamodb: front.url },
        maxAttempts: 2,
      },
      dynamodb: { vectorTable: table, verifySampleSize: 10, writeConcurrency: 4, ...extra },
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

const failed = (checks: Check[]) => checks.filter((c) => !c.ok);

beforeAll(async () => {
  [qdrant, front] = await Promise.all([startQdrantStandIn({ apiKey: API_KEY }), startDynamoDbVectorFront()]);
  raw = new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: front.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  await seedCollection('docs', 'Cosine', 230, 8, 1);
  await seedCollection('faq', 'Dot', 60, 8, 2);
  await seedCollection('kb_euclid', 'Euclid', 40, 16, 3);
  await seedCollection('empty', 'Euclid', 0, 16, 4);
});
afterAll(async () => {
  raw?.destroy();
  await Promise.all([qdrant?.stop(), front?.stop()]);
});

describe('vectors.table + vectors.copy end to end', () => {
  it('plans, creates, noops, copies, verifies (bit-exact, recall) and rolls back', async () => {
    const session = new EngineSession(loadTestConfig(config('vec-main', ['docs', 'faq', 'kb_*', 'empty'])));
    try {
      const tctx = session.context(vectorsTableStep);
      const [create] = await vectorsTableStep.plan(tctx);
      expect(create?.action).toBe('create');
      expect(create?.details).toMatchObject({
        vectorIndexes: [
          { name: 'vectors-8-cosine', dimensions: 8, distance: 'COSINE' },
          { name: 'vectors-16-euclidean', dimensions: 16, distance: 'EUCLIDEAN' },
          { name: 'vectors-8-dot-product', dimensions: 8, distance: 'DOT_PRODUCT' },
        ].sort(() => 0) as unknown as Record<string, unknown>[],
      });
      await vectorsTableStep.apply(tctx, create!);
      expect((await vectorsTableStep.plan(tctx))[0]?.action).toBe('noop');
      await vectorsTableStep.apply(tctx, create!); // idempotent
      const described = await raw.send(new DescribeTableCommand({ TableName: 'vec-main' }));
      expect(described.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(
        described.Table?.VectorIndexes?.map((i) => [i.IndexName, i.SearchSchema?.[0]?.AttributeName]),
      ).toHaveLength(3);
      expect(failed(await vectorsTableStep.verify(tctx))).toEqual([]);

      const cctx = session.context(vectorsCopyStep);
      const changes = await vectorsCopyStep.plan(cctx);
      expect(changes.map((c) => [c.action, (c.details as { points: number }).points])).toEqual([
        ['copy', 230],
        ['copy', 0],
        ['copy', 60],
        ['copy', 40],
      ]);
      for (const change of changes) await vectorsCopyStep.apply(cctx, change);
      expect(await countItems('vec-main')).toBe(330);
      expect((await vectorsCopyStep.plan(cctx)).every((c) => c.action === 'noop')).toBe(true);
      const checks = await vectorsCopyStep.verify(cctx);
      expect(failed(checks)).toEqual([]);
      const recall = checks.filter((c) => c.name.includes('recall@10'));
      expect(recall.map((c) => c.actual)).toEqual([1, 1, 1, 1]);
      expect(checks.some((c) => c.name.includes('bit-exact') && c.actual === 10)).toBe(true);
      // Requests: 25 items per BatchWriteItem.
      const writes = front.requests.filter((r) => r.op === 'BatchWriteItem' && r.table === 'vec-main');
      expect(Math.max(...writes.map((w) => w.items ?? 0))).toBe(25);
      // The API key went to Qdrant and never into the journal.
      expect(qdrant.requests.every((r) => r.apiKey === API_KEY)).toBe(true);
      expect(JSON.stringify(session.journal.all())).not.toContain(API_KEY);

      await vectorsCopyStep.rollback!(cctx);
      expect(await countItems('vec-main')).toBe(0);
      await vectorsTableStep.rollback!(tctx);
      await expect(raw.send(new DescribeTableCommand({ TableName: 'vec-main' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      const after = await vectorsTableStep.verify(tctx);
      expect(after[0]).toMatchObject({ ok: false });
    } finally {
      await session.close();
    }
  });

  it('rejects bad points one by one and reports them, without failing the run', async () => {
    const res = await fetch(`${qdrant.url}/collections/bad`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'api-key': API_KEY },
      body: JSON.stringify({ vectors: { size: 4, distance: 'Cosine' } }),
    });
    expect(res.status).toBe(200);
    qdrant.seed('bad', [
      { id: 1, vector: [1, 2, 3, 4], payload: { ok: true } },
      { id: 2, vector: [1, Number.NaN, 3, 4] },
      { id: 3, vector: [1, Number.POSITIVE_INFINITY, 3, 4] },
      { id: 4, vector: [1, 2, 3] },
      { id: 5, vector: [0, 0, 0, 0] },
      { id: 6, vector: [1, 0, 0, 0], payload: { text: 'x'.repeat(420_000) } },
      { id: 7, vector: [0, 1, 0, 0], payload: { '': 'empty key' } },
      { id: 8, vector: [0, 0, 1, 0], payload: { nested: { a: [null, '', 0] } } },
    ]);
    const session = new EngineSession(loadTestConfig(config('vec-bad', ['bad'])));
    try {
      await applyVectorsTable(session);
      const cctx = session.context(vectorsCopyStep);
      for (const c of await vectorsCopyStep.plan(cctx)) await vectorsCopyStep.apply(cctx, c);
      expect(await countItems('vec-bad')).toBe(2);
      const checks = await vectorsCopyStep.verify(cctx);
      expect(checks.find((c) => c.name.includes('count'))).toMatchObject({
        ok: true,
        expected: 2,
        actual: 2,
      });
      const rejected = checks.find((c) => c.name.includes('rejected'));
      expect(rejected?.ok).toBe(false);
      const reasons =
        (rejected?.actual as { points: { id: string; reason: string }[] } | undefined)?.points ?? [];
      expect(Object.fromEntries(reasons.map((r) => [r.id, r.reason]))).toMatchObject({
        '2': expect.stringMatching(/NaN or Infinity/),
        '3': expect.stringMatching(/NaN or Infinity/),
        '4': expect.stringMatching(/3 dimensions/),
        '5': expect.stringMatching(/zero vector/),
        '6': expect.stringMatching(/400 KB/),
        '7': expect.stringMatching(/empty key/),
      });
      expect(checks.find((c) => c.name.includes('bit-exact'))?.ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('retries throttling and UnprocessedItems, and resumes after a crash without duplicates', async () => {
    await seedCollection('resume', 'Cosine', 300, 8, 9);
    const loaded = loadTestConfig(config('vec-resume', ['resume']));
    const crash = new AbortController();
    let scrolls = 0;
    qdrant.onRequest((r) => {
      if (r.path.endsWith('/points/scroll') && ++scrolls === 3) crash.abort(new Error('simulated crash'));
    });
    const first = new EngineSession(loaded, { signal: crash.signal });
    try {
      await applyVectorsTable(first);
      const [change] = await vectorsCopyStep.plan(first.context(vectorsCopyStep));
      front.faults.unprocessed(3);
      front.faults.throttle('BatchWriteItem', 3);
      await expect(vectorsCopyStep.apply(first.context(vectorsCopyStep), change!)).rejects.toThrow();
    } finally {
      qdrant.onRequest(undefined);
      await first.close();
    }
    const partial = await countItems('vec-resume');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(300);
    expect(front.requests.filter((r) => r.fault === 'unprocessed')).toHaveLength(3);
    expect(front.requests.filter((r) => r.fault === 'throttled')).toHaveLength(3);

    const second = new EngineSession(loaded);
    try {
      const ctx = second.context(vectorsCopyStep);
      const [change] = await vectorsCopyStep.plan(ctx);
      expect(change?.summary).toMatch(/resuming after/);
      const before = qdrant.requests.length;
      await vectorsCopyStep.apply(ctx, change!);
      // The rerun started from the checkpointed cursor, not from the beginning.
      expect(qdrant.requests.slice(before).filter((r) => r.path.endsWith('/scroll')).length).toBeLessThan(6);
      expect(await countItems('vec-resume')).toBe(300);
      expect(failed(await vectorsCopyStep.verify(ctx))).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('fails clearly when a collection is deleted mid-copy, and refuses Manhattan in the plan', async () => {
    await seedCollection('doomed', 'Cosine', 200, 8, 5);
    const session = new EngineSession(loadTestConfig(config('vec-doomed', ['doomed'])));
    try {
      await applyVectorsTable(session);
      const ctx = session.context(vectorsCopyStep);
      const [change] = await vectorsCopyStep.plan(ctx);
      let scrolls = 0;
      qdrant.onRequest((r) => {
        if (r.path.endsWith('/points/scroll') && ++scrolls === 2) qdrant.dropCollection('doomed');
      });
      const error = await vectorsCopyStep.apply(ctx, change!).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngifyError);
      expect((error as EngifyError).code).toBe('QDRANT_COLLECTION_GONE');
      expect((error as EngifyError).message).toMatch(/doomed disappeared during the copy, after 50 point/);
    } finally {
      qdrant.onRequest(undefined);
      await session.close();
    }
    await seedCollection('taxi', 'Manhattan', 3, 8, 6);
    const s2 = new EngineSession(loadTestConfig(config('vec-taxi', ['taxi'])));
    try {
      const error = await vectorsTableStep.plan(s2.context(vectorsTableStep)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'VECTORS_DISTANCE_UNSUPPORTED', kind: 'config' });
      expect((error as Error).message).toMatch(/taxi uses Manhattan/);
    } finally {
      await s2.close();
    }
  });
});
