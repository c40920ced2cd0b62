import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDynamoDbVectorFront } from '../../src/sandbox/dynamodb-vector-front.js';
import { startQdrantStandIn } from '../../src/sandbox/qdrant-server.js';

// The bench's services, in their own process so the migration's peak RSS is measured on its own:
// the Qdrant stand-in seeded with N x DIMS points and the DynamoDB vector front over dynalite.

const points = Number(process.env.POINTS ?? 20_000);
const dims = Number(process.env.DIMS ?? 384);
const qdrant = await startQdrantStandIn({ apiKey: 'bench-key' });
const front = await startDynamoDbVectorFront();
qdrant.createCollection('bench', { vectors: { size: dims, distance: 'Cosine' } });
let seed = 42;
const rnd = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32 - 0.5;
};
for (let i = 0; i < points; i += 1000) {
  const chunk = [];
  for (let j = i; j < Math.min(points, i + 1000); j++) {
    chunk.push({
      id: j + 1,
      vector: Array.from({ length: dims }, rnd),
      payload: { bot_id: `bot-${j % 10}`, text: `chunk ${j} of a document about something`, page: j % 50 },
    });
  }
  qdrant.seed('bench', chunk);
}
const control = createServer((_req, res) => {
  const byOp: Record<string, number> = {};
  for (const r of front.requests) byOp[r.op] = (byOp[r.op] ?? 0) + 1;
  res.end(JSON.stringify({ front: byOp, qdrant: qdrant.requests.length }));
});
await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
console.log(
  JSON.stringify({
    qdrant: qdrant.url,
    front: front.url,
    control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
  }),
);
process.on('SIGTERM', async () => {
  control.close();
  await Promise.all([qdrant.stop(), front.stop()]);
  process.exit(0);
});
