import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QdrantStandIn, startQdrantStandIn } from '../../../src/sandbox/qdrant-server.js';

// The stand-in answered through the real @qdrant/js-client-rest 1.18 client, as the migration uses it.
describe('Qdrant stand-in with the real client', () => {
  let server: QdrantStandIn;
  let client: QdrantClient;
  const UUID = '6f2c1c52-3f0e-4bd5-9d1a-5a2f0d3c9e11';

  beforeAll(async () => {
    server = await startQdrantStandIn({ apiKey: 'sekret-key' });
    client = new QdrantClient({ url: server.url, apiKey: 'sekret-key', checkCompatibility: false });
  });
  afterAll(() => server.stop());

  it('creates, describes, lists, upserts, counts, scrolls with next_page_offset and deletes', async () => {
    await client.createCollection('docs', { vectors: { size: 3, distance: 'Euclid' } });
    expect(await client.collectionExists('docs')).toEqual({ exists: true });
    const info = await client.getCollection('docs');
    expect(info.config.params.vectors).toEqual({ size: 3, distance: 'Euclid' });
    const points = Array.from({ length: 7 }, (_, i) => ({
      id: i + 1,
      vector: [i + 1, 0.1, -(i + 1)],
      payload: { n: i },
    }));
    await client.upsert('docs', {
      wait: true,
      points: [...points, { id: UUID, vector: [9, 9, 9], payload: {} }],
    });
    expect((await client.count('docs', { exact: true })).count).toBe(8);
    const page1 = await client.scroll('docs', { limit: 5, with_vector: true, with_payload: true });
    expect(page1.points.map((p) => p.id)).toEqual([1, 2, 3, 4, 5]);
    expect(page1.next_page_offset).toBe(6);
    expect(page1.points[0]?.vector).toEqual([1, 0.1, -1]);
    const page2 = await client.scroll('docs', {
      limit: 5,
      offset: page1.next_page_offset as number,
      with_vector: false,
    });
    expect(page2.points.map((p) => p.id)).toEqual([6, 7, UUID]);
    expect(page2.next_page_offset).toBeNull();
    expect(page2.points[0]?.vector ?? null).toBeNull();
    expect((await client.getCollections()).collections.map((c) => c.name)).toEqual(['docs']);
    await client.deleteCollection('docs');
    expect(await client.collectionExists('docs')).toEqual({ exists: false });
  });

  it('searches with Cosine, Euclid and Dot in the documented order', async () => {
    for (const distance of ['Cosine', 'Euclid', 'Dot'] as const) {
      const name = `s-${distance}`;
      await client.createCollection(name, { vectors: { size: 2, distance } });
      await client.upsert(name, {
        wait: true,
        points: [
          { id: 1, vector: [1, 0] },
          { id: 2, vector: [0, 1] },
          { id: 3, vector: [3, 3] },
        ],
      });
      const hits = await client.search(name, { vector: [1, 0.1], limit: 3 });
      const ids = hits.map((h) => h.id);
      if (distance === 'Cosine') expect(ids).toEqual([1, 3, 2]);
      if (distance === 'Euclid') expect(ids).toEqual([1, 2, 3]);
      if (distance === 'Dot') expect(ids).toEqual([3, 1, 2]);
      const query = await client.query(name, { query: [1, 0.1], limit: 1 });
      expect(query.points[0]?.id).toBe(ids[0]);
    }
    // Cosine vectors are normalised at upsert, as Qdrant does.
    const stored = await client.scroll('s-Cosine', { limit: 1, offset: 3, with_vector: true });
    const v = stored.points[0]?.vector as number[];
    expect(Math.hypot(v[0]!, v[1]!)).toBeCloseTo(1, 6);
  });

  it('returns float32 values in their shortest form and the error envelope for a missing collection', async () => {
    await client.createCollection('f32', { vectors: { size: 2, distance: 'Dot' } });
    await client.upsert('f32', { wait: true, points: [{ id: 1, vector: [0.1, 1 / 3] }] });
    const p = await client.scroll('f32', { with_vector: true });
    expect(p.points[0]?.vector).toEqual([0.1, 0.33333334]);
    await expect(client.count('nope')).rejects.toMatchObject({ status: 404 });
    await expect(
      client.upsert('f32', { wait: true, points: [{ id: 2, vector: [1] }] }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('refuses a wrong api-key and records the key it got', async () => {
    const wrong = new QdrantClient({ url: server.url, apiKey: 'wrong', checkCompatibility: false });
    await expect(wrong.getCollections()).rejects.toMatchObject({ status: 401 });
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/collections', apiKey: 'wrong' });
    expect(server.requests.filter((r) => r.apiKey === 'sekret-key').length).toBeGreaterThan(5);
  });
});

// The stand-in at an older version answers as that Qdrant release did, not more kindly.
describe('Qdrant stand-in configured as an older release', () => {
  it('reports its version on GET / and rejects `sample: random` before 1.11.0', async () => {
    const old = await startQdrantStandIn({ version: '1.10.1' });
    const current = await startQdrantStandIn();
    try {
      for (const server of [old, current]) {
        server.createCollection('docs', { vectors: { size: 2, distance: 'Dot' } });
        server.seed('docs', [{ id: 1, vector: [1, 0] }]);
      }
      const oldClient = new QdrantClient({ url: old.url, checkCompatibility: false });
      const currentClient = new QdrantClient({ url: current.url, checkCompatibility: false });
      expect((await oldClient.versionInfo()).version).toBe('1.10.1');
      expect((await currentClient.versionInfo()).version).toMatch(/^1\.(1[1-9]|[2-9]\d)\./);
      await expect(oldClient.query('docs', { query: { sample: 'random' }, limit: 1 })).rejects.toThrow(
        /Bad Request/,
      );
      const sampled = await currentClient.query('docs', { query: { sample: 'random' }, limit: 1 });
      expect(sampled.points.map((p) => p.id)).toEqual([1]);
      // Plain nearest-neighbour queries were in the 1.10 Query API already.
      expect((await oldClient.query('docs', { query: [1, 0], limit: 1 })).points.map((p) => p.id)).toEqual([
        1,
      ]);
    } finally {
      await Promise.all([old.stop(), current.stop()]);
    }
  });

  it('has no Query API before 1.10.0', async () => {
    const older = await startQdrantStandIn({ version: '1.9.7' });
    try {
      older.createCollection('docs', { vectors: { size: 2, distance: 'Dot' } });
      const client = new QdrantClient({ url: older.url, checkCompatibility: false });
      await expect(client.query('docs', { query: [1, 0], limit: 1 })).rejects.toThrow(/Not Found/);
    } finally {
      await older.stop();
    }
  });
});
