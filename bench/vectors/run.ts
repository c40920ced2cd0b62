import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type AttributeValue, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { vectorsCopyStep } from '../../src/components/vectors/vectors-copy.js';
import { vectorsTableStep } from '../../src/components/vectors/vectors-table.js';
import { EngineSession } from '../../src/engine/session.js';
import { encodePoint } from '../../src/providers/dynamodb/vector-item-codec.js';
import { loadTestConfig } from '../../test/helpers/session.js';

// vectors.copy throughput against a raw BatchWriteItem loop (same endpoint, same concurrency, same item
// shape, same run), DynamoDB requests per 1,000 points, and the migration process's peak RSS.
// POINTS=100000 for the full size (default 20000). The services run in a child process.

const here = dirname(fileURLToPath(import.meta.url));
const POINTS = Number(process.env.POINTS ?? 20_000);
const DIMS = 384;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);

const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'servers.ts')], {
  env: { ...process.env, POINTS: String(POINTS), DIMS: String(DIMS) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const urls = await new Promise<{ qdrant: string; front: string; control: string }>((resolve, reject) => {
  createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
  child.once('exit', (c) => reject(new Error(`servers exited ${c}`)));
});
const stats = async () =>
  (await (await fetch(urls.control)).json()) as { front: Record<string, number>; qdrant: number };
const credentials = () => ({ accessKeyId: 'bench', secretAccessKey: 'bench-secret' });
process.on('exit', () => child.kill('SIGTERM'));

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

// 1. Raw loop: pre-encoded items of the same shape, BatchWriteItem x25, CONCURRENCY in flight.
const rawClient = new DynamoDBClient({
  region: 'eu-west-1',
  endpoint: urls.front,
  credentials: credentials(),
});
const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
await rawClient.send(
  new CreateTableCommand({
    TableName: 'bench-raw',
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  }),
);
const pool: Record<string, AttributeValue>[] = [];
for (let i = 0; i < 1000; i++) {
  const vector = Array.from({ length: DIMS }, () => Math.fround(Math.random() - 0.5) / 10);
  const e = encodePoint(
    {
      id: i,
      vector,
      payload: { bot_id: `bot-${i % 10}`, text: `chunk ${i} of a document about something`, page: i % 50 },
    },
    { collection: 'bench', dims: DIMS, distance: 'COSINE', vectorAttribute: 'embedding_384_cosine' },
    { filterFields: [] },
  );
  if (e.ok) pool.push(e.item);
}
const rawStart = performance.now();
let nextBatch = 0;
const batches = Math.ceil(POINTS / 25);
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (nextBatch < batches) {
      const b = nextBatch++;
      const items = [];
      for (let i = b * 25; i < Math.min(POINTS, b * 25 + 25); i++) {
        items.push({ PutRequest: { Item: { ...pool[i % pool.length]!, sk: { S: String(i) } } } });
      }
      let pending = items;
      while (pending.length > 0) {
        const out = await rawClient.send(
          new BatchWriteItemCommand({ RequestItems: { 'bench-raw': pending } }),
        );
        pending = (out.UnprocessedItems?.['bench-raw'] ?? []) as typeof items;
      }
    }
  }),
);
const rawSeconds = (performance.now() - rawStart) / 1000;
rawClient.destroy();
pool.length = 0;
const rssAfterRaw = process.memoryUsage().rss;
peakRss = 0;

// 2. The migration: vectors.table then vectors.copy through the Step contract and the real journal.
const loaded = loadTestConfig({
  project: 'bench',
  source: { qdrant: { url: urls.qdrant, apiKey: 'bench-key', collections: ['bench'], scrollPageSize: 1000 } },
  target: {
    aws: { region: 'eu-west-1', credentials: credentials(), endpoints: { dynamodb: urls.front } },
    dynamodb: { vectorTable: 'bench-vectors', writeConcurrency: CONCURRENCY, verifySampleSize: 10 },
  },
});
const session = new EngineSession(loaded);
const tableCtx = session.context(vectorsTableStep);
for (const action of await vectorsTableStep.plan(tableCtx)) await vectorsTableStep.apply(tableCtx, action);
const before = await stats();
const ctx = session.context(vectorsCopyStep);
const [change] = await vectorsCopyStep.plan(ctx);
const copyStart = performance.now();
await vectorsCopyStep.apply(ctx, change!);
const copySeconds = (performance.now() - copyStart) / 1000;
const after = await stats();
const checks = await vectorsCopyStep.verify(ctx);
await session.close();
clearInterval(sampler);

const ddbRequests = Object.entries(after.front).reduce((n, [op, c]) => n + c - (before.front[op] ?? 0), 0);
const writeRequests = (after.front.BatchWriteItem ?? 0) - (before.front.BatchWriteItem ?? 0);
const qdrantRequests = after.qdrant - before.qdrant;
const vmHwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
const result = {
  points: POINTS,
  dims: DIMS,
  concurrency: CONCURRENCY,
  raw: { seconds: Number(rawSeconds.toFixed(2)), pointsPerSecond: Math.round(POINTS / rawSeconds) },
  copy: { seconds: Number(copySeconds.toFixed(2)), pointsPerSecond: Math.round(POINTS / copySeconds) },
  throughputRatio: Number((rawSeconds / copySeconds).toFixed(3)),
  dynamodbRequestsPer1000Points: Number(((ddbRequests / POINTS) * 1000).toFixed(2)),
  batchWriteRequestsPer1000Points: Number(((writeRequests / POINTS) * 1000).toFixed(2)),
  totalRequestsPer1000Points: Number((((ddbRequests + qdrantRequests) / POINTS) * 1000).toFixed(2)),
  peakRssDuringCopyMiB: Number((peakRss / 2 ** 20).toFixed(1)),
  rssAfterRawMiB: Number((rssAfterRaw / 2 ** 20).toFixed(1)),
  vmHwmMiB: Number((vmHwm / 2 ** 20).toFixed(1)),
  verify: checks.map((c) => ({ name: c.name, ok: c.ok, actual: c.actual })),
  machine: { cores: 2, memoryGiB: 24, node: process.version },
  at: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', 'vectors.json'), `${JSON.stringify(result, null, 2)}\n`);
child.kill('SIGTERM');
