import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorsCopyStep } from '../../src/components/vectors/vectors-copy.js';
import { vectorsIncrementalPass } from '../../src/components/vectors/vectors-incremental.js';
import { EngineSession } from '../../src/engine/session.js';
import {
  type DynamoDbVectorFront,
  startDynamoDbVectorFront,
} from '../../src/sandbox/dynamodb-vector-front.js';
import { type QdrantStandIn, startQdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { qdrantRequester } from '../helpers/qdrant-seed.js';
import { loadTestConfig } from '../helpers/session.js';
import { applyVectorsTable } from '../helpers/vectors-table.js';

let qdrant: QdrantStandIn;
let front: DynamoDbVectorFront;

const qput = qdrantRequester(() => qdrant.url);

const cfg = (table: string, collection: string, watermarkField?: string) => ({
  project: 'vectors-incr',
  source: {
    qdrant: {
      url: qdrant.url,
      collections: [collection],
      scrollPageSize: 20,
      ...(watermarkField ? { watermarkField } : {}),
    },
  },
  target: {
    aws: {
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      endpoints: { dynamodb: front.url },
    },
    dynamodb: { vectorTable: table },
  },
});

beforeAll(async () => {
  [qdrant, front] = await Promise.all([startQdrantStandIn(), startDynamoDbVectorFront()]);
});
afterAll(async () => {
  await Promise.all([qdrant?.stop(), front?.stop()]);
});

describe.each([
  ['content-hash diff', undefined],
  ['watermark field', 'updated_at'],
])('vectors incremental pass (%s)', (label, watermarkField) => {
  it('upserts changed and new points and deletes removed ones', async () => {
    const name = `inc-${label.replace(/\W+/g, '-')}`;
    await qput(`/collections/${name}`, { vectors: { size: 4, distance: 'Euclid' } });
    const points = Array.from({ length: 50 }, (_, i) => ({
      id: i + 1,
      vector: [i, 1, 2, 3],
      payload: { updated_at: 100, text: `t${i}` },
    }));
    await qput(`/collections/${name}/points?wait=true`, { points });
    const session = new EngineSession(loadTestConfig(cfg(`tbl-${name}`, name, watermarkField)));
    try {
      await applyVectorsTable(session);
      const ctx = session.context(vectorsCopyStep);
      for (const c of await vectorsCopyStep.plan(ctx)) await vectorsCopyStep.apply(ctx, c);
      // Nothing changed yet.
      const idle = await vectorsIncrementalPass(ctx, { collection: name, watermark: 100 });
      expect([idle.upserted, idle.deleted]).toEqual([0, 0]);
      // Change one, add one, delete two.
      await qput(`/collections/${name}/points?wait=true`, {
        points: [
          { id: 3, vector: [9, 9, 9, 9], payload: { updated_at: 200, text: 'changed' } },
          { id: 99, vector: [1, 1, 1, 1], payload: { updated_at: 201, text: 'new' } },
        ],
      });
      await qput(`/collections/${name}/points/delete?wait=true`, { points: [10, 11] }, 'POST');
      const pass = await vectorsIncrementalPass(ctx, { collection: name, watermark: 100 });
      expect([pass.upserted, pass.deleted]).toEqual([2, 2]);
      if (watermarkField) expect(pass.watermark).toBe(201);
      const checks = await vectorsCopyStep.verify(ctx);
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.find((c) => c.name.includes('count'))?.actual).toBe(49);
    } finally {
      await session.close();
    }
  });
});
