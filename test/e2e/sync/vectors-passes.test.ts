import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorsCopyStep } from '../../../src/components/vectors/vectors-copy.js';
import { vectorsForwardPass, vectorsReversePass } from '../../../src/components/vectors/vectors-passes.js';
import type { EngineSession } from '../../../src/engine/session.js';
import {
  type DynamoDbVectorFront,
  startDynamoDbVectorFront,
} from '../../../src/sandbox/dynamodb-vector-front.js';
import { type QdrantStandIn, startQdrantStandIn } from '../../../src/sandbox/qdrant-server.js';
import { qdrantRequester } from '../../helpers/qdrant-seed.js';
import { openTestSession } from '../../helpers/session.js';
import { applyVectorsTable } from '../../helpers/vectors-table.js';

// The vectors sync passes driven with a real 'sync.vectors' StepContext, after the real vectors.table and
// vectors.copy steps, against the Qdrant stand-in (which normalises Cosine vectors, as Qdrant does) and
// dynalite behind the vector front, over HTTP with the real clients.

const API_KEY = 'qdrant-passes-key-4567';
const ATTR = 'embedding_4_cosine';
let qdrant: QdrantStandIn;
let front: DynamoDbVectorFront;
let raw: DynamoDBClient;

// POST unless told: most calls here are point reads and deletes.
const request = qdrantRequester(() => qdrant.url, API_KEY);
const q = (path: string, body: unknown, method = 'POST') => request(path, body, method);

async function qpoint(collection: string, id: number | string) {
  const r = (await q(`/collections/${collection}/points/scroll`, {
    filter: { must: [{ has_id: [id] }] },
    limit: 1,
    with_payload: true,
    with_vector: true,
  })) as { points: { id: number | string; vector: number[]; payload: Record<string, unknown> }[] };
  return r.points[0];
}

const vec = (xs: number[]): AttributeValue => ({ L: xs.map((x) => ({ N: String(x) })) });
const writes = (table: string) =>
  front.requests.filter((r) => r.table === table && r.op === 'BatchWriteItem').length;

beforeAll(async () => {
  [qdrant, front] = await Promise.all([startQdrantStandIn({ apiKey: API_KEY }), startDynamoDbVectorFront()]);
  raw = new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: front.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
});
afterAll(async () => {
  raw?.destroy();
  await Promise.all([qdrant?.stop(), front?.stop()]);
});

describe.each([
  ['content-hash diff', undefined],
  ['watermark field', 'updated_at'],
])('vectors sync passes (%s)', (label, watermarkField) => {
  it('forward carries source changes, reverse carries app writes back, nothing echoes, reruns apply nothing', async () => {
    const name = `pass-${label.replace(/\W+/g, '-')}`;
    const table = `tbl-${name}`;
    await q(`/collections/${name}`, { vectors: { size: 4, distance: 'Cosine' } }, 'PUT');
    const uuid = randomUUID();
    const points = Array.from({ length: 20 }, (_, i) => ({
      id: i === 19 ? uuid : i + 1,
      vector: [i + 1, 1, 2, 3],
      payload: { updated_at: 100, text: `t${i}`, meta: { n: i } },
    }));
    await q(`/collections/${name}/points?wait=true`, { points }, 'PUT');
    const session: EngineSession = openTestSession({
      project: 'vectors-passes',
      source: {
        qdrant: {
          url: qdrant.url,
          apiKey: API_KEY,
          collections: [name],
          scrollPageSize: 7,
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
    try {
      await applyVectorsTable(session);
      const cctx = session.context(vectorsCopyStep);
      for (const c of await vectorsCopyStep.plan(cctx)) await vectorsCopyStep.apply(cctx, c);
      const ctx = session.context({ id: 'sync.vectors' });

      // Equal on both sides: nothing to do.
      const idle = await vectorsForwardPass(ctx);
      expect(idle).toEqual({ applied: 0, deleted: 0, unchanged: 20, refused: [] });

      // A change on the source reaches DynamoDB.
      await q(
        `/collections/${name}/points?wait=true`,
        {
          points: [
            { id: 3, vector: [9, 9, 9, 1], payload: { updated_at: 200, text: 'changed' } },
            { id: 50, vector: [1, 0, 0, 1], payload: { updated_at: 201, text: 'new' } },
          ],
        },
        'PUT',
      );
      await q(`/collections/${name}/points/delete?wait=true`, { points: [7] });
      const fwd = await vectorsForwardPass(ctx);
      expect([fwd.applied, fwd.deleted, fwd.refused]).toEqual([2, 1, []]);
      if (watermarkField) expect(ctx.marks('sync.vectors').get(`watermark:${name}`)).toBe(201);
      const item3 = await raw.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: name }, sk: { S: '3' } } }),
      );
      expect(item3.Item?.payload?.M?.text?.S).toBe('changed');
      const again = await vectorsForwardPass(ctx);
      expect([again.applied, again.deleted]).toEqual([0, 0]);
      expect((await vectorsCopyStep.verify(cctx)).filter((c) => !c.ok)).toEqual([]);

      // Cutover: the app now writes DynamoDB. Before it does, the reverse pass has nothing to carry.
      const calm = await vectorsReversePass(ctx);
      expect(calm).toEqual({ applied: 0, deleted: 0, unchanged: 20, refused: [] });

      const newUuid = randomUUID();
      await raw.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: name },
            sk: { S: '777' },
            collection: { S: name },
            point_id: { S: '777' },
            [ATTR]: vec([3, 4, 0, 0]), // not normalised: Qdrant will store [0.6, 0.8, 0, 0]
            payload: { M: { text: { S: 'written by the app' }, updated_at: { N: '300' } } },
          },
        }),
      );
      await raw.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: name },
            sk: { S: newUuid },
            collection: { S: name },
            point_id: { S: newUuid },
            [ATTR]: vec([0, 0, 0.6, 0.8]),
            payload: { M: { tags: { L: [{ S: 'a' }, { NULL: true }] }, updated_at: { N: '301' } } },
          },
        }),
      );
      // The app edits an item the tool wrote: marker kept, hash now stale.
      await raw.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: name }, sk: { S: '1' } },
          UpdateExpression: 'SET payload.#t = :t, payload.updated_at = :u',
          ExpressionAttributeNames: { '#t': 'text' },
          ExpressionAttributeValues: { ':t': { S: 'edited on AWS' }, ':u': { N: '302' } },
        }),
      );
      await raw.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: name }, sk: { S: '2' } } }));
      await raw.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: name },
            sk: { S: 'junk' },
            collection: { S: name },
            point_id: { S: 'not-an-id' },
            [ATTR]: vec([1, 1, 1, 1]),
          },
        }),
      );

      const back = await vectorsReversePass(ctx);
      expect(back.applied).toBe(3);
      expect(back.unchanged).toBe(18);
      expect(back.refused.map((r) => r.key).sort()).toEqual([`${name}/2`, `${name}/junk`]);
      expect(back.refused.find((r) => r.key === `${name}/2`)?.reason).toMatch(/not deleted there/);
      expect(back.refused.find((r) => r.key === `${name}/junk`)?.reason).toMatch(
        /unsigned integer or a UUID/,
      );

      const p777 = await qpoint(name, 777);
      expect(p777?.vector).toEqual([0.6, 0.8, 0, 0]);
      expect(p777?.payload).toEqual({ text: 'written by the app', updated_at: 300 });
      const pu = await qpoint(name, newUuid);
      expect(pu?.payload).toEqual({ tags: ['a', null], updated_at: 301 });
      expect(pu?.vector).toEqual([0, 0, 0.6, 0.8]);
      expect((await qpoint(name, 1))?.payload).toEqual({
        text: 'edited on AWS',
        updated_at: 302,
        meta: { n: 0 },
      });
      // Not deleted in Qdrant: the tool never created point 2 there.
      expect(await qpoint(name, 2)).toBeDefined();
      // The item now holds what Qdrant holds, marked with the matching hash.
      const item777 = await raw.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: name }, sk: { S: '777' } } }),
      );
      expect(item777.Item?.migrated_by?.S).toBe('engify-migrate:qdrant');
      expect(item777.Item?.[ATTR]?.L?.map((v) => Number(v.N))).toEqual([0.6, 0.8, 0, 0]);

      // A rerun of the reverse pass applies nothing (the deletion stays reported).
      const upserts = qdrant.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/points')).length;
      const rerun = await vectorsReversePass(ctx);
      expect(rerun.applied).toBe(0);
      expect(rerun.unchanged).toBe(21);
      expect(rerun.refused.map((r) => r.key).sort()).toEqual([`${name}/2`, `${name}/junk`]);
      expect(qdrant.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/points')).length).toBe(
        upserts,
      );

      // Rollback: forward sync resumes and must not echo what the reverse pass carried back.
      const before = writes(table);
      const resumed = await vectorsForwardPass(ctx);
      // Point 2, kept in Qdrant, is the one difference forward sync restores on AWS: the hash diff sees it
      // at once; with a watermark it waits until the point changes in Qdrant (its updated_at is old).
      const restored = watermarkField ? 0 : 1;
      expect([resumed.applied, resumed.deleted, resumed.refused]).toEqual([restored, 0, []]);
      expect(writes(table)).toBe(before + restored);
      if (!watermarkField) {
        const item2 = await raw.send(
          new GetItemCommand({ TableName: table, Key: { pk: { S: name }, sk: { S: '2' } } }),
        );
        expect(item2.Item?.payload?.M?.text?.S).toBe('t1');
      }
      const settled = await vectorsForwardPass(ctx);
      expect([settled.applied, settled.deleted]).toEqual([0, 0]);
      expect(writes(table)).toBe(before + restored);
      expect(JSON.stringify(session.journal.all())).not.toContain(API_KEY);
    } finally {
      await session.close();
    }
  });
});
