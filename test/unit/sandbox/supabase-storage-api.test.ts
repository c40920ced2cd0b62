import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StorageStandIn, startSupabaseStorageApi } from '../../../src/sandbox/supabase-storage-api.js';

const KEY = 'service-role-test-key';
let api: StorageStandIn;
const client = () =>
  createClient(api.url, KEY, { auth: { persistSession: false, autoRefreshToken: false } }).storage;

beforeAll(async () => {
  api = await startSupabaseStorageApi({ serviceKey: KEY });
});
afterAll(async () => {
  await api.stop();
});

describe('Supabase Storage API stand-in, driven by supabase-js', () => {
  it('creates, lists and gets buckets', async () => {
    const s = client();
    expect((await s.createBucket('avatars', { public: true })).error).toBeNull();
    expect((await s.createBucket('docs')).error).toBeNull();
    const { data } = await s.listBuckets();
    expect(data?.map((b) => [b.id, b.public])).toEqual([
      ['avatars', true],
      ['docs', false],
    ]);
    expect((await s.getBucket('docs')).data?.public).toBe(false);
    const missing = await s.getBucket('nope');
    expect(missing.error?.message).toMatch(/not found/i);
  });

  it('uploads with content type, cache control and metadata; lists folders and pages; downloads', async () => {
    const s = client().from('docs');
    const up = await s.upload('a/b/report one.pdf', Buffer.from('%PDF-1 hello'), {
      contentType: 'application/pdf',
      cacheControl: '60',
      metadata: { team: 'ops' },
    });
    expect(up.error).toBeNull();
    expect(up.data?.fullPath).toBe('docs/a/b/report one.pdf');
    await s.upload('a/z.txt', Buffer.from('z'), { contentType: 'text/plain' });
    await s.upload('top.txt', Buffer.from('top'), { contentType: 'text/plain' });
    // A second upload without upsert is refused, as on Supabase.
    expect((await s.upload('top.txt', Buffer.from('again'))).error).not.toBeNull();

    const root = await s.list('', { limit: 100, offset: 0, sortBy: { column: 'name', order: 'asc' } });
    expect(root.data?.map((e) => [e.name, e.id === null])).toEqual([
      ['a', true],
      ['top.txt', false],
    ]);
    const inA = await s.list('a');
    expect(inA.data?.map((e) => e.name)).toEqual(['b', 'z.txt']);
    const paged = await s.list('a', { limit: 1, offset: 1 });
    expect(paged.data?.map((e) => e.name)).toEqual(['z.txt']);
    const file = (await s.list('a/b')).data?.[0];
    expect(file?.metadata).toMatchObject({
      size: 12,
      mimetype: 'application/pdf',
      cacheControl: 'max-age=60',
    });
    expect(String(file?.metadata?.eTag)).toMatch(/^"[0-9a-f]{32}"$/);

    const blob = await s.download('a/b/report one.pdf');
    expect(Buffer.from(await (blob.data as Blob).arrayBuffer()).toString()).toBe('%PDF-1 hello');
    const info = await s.info('a/b/report one.pdf');
    expect(info.data).toMatchObject({ size: 12, contentType: 'application/pdf', metadata: { team: 'ops' } });
    expect((await s.exists('a/z.txt')).data).toBe(true);
    expect((await s.exists('a/nothing.txt')).data).toBe(false);
    const removed = await s.remove(['a/z.txt']);
    expect(removed.data?.map((o) => o.name)).toEqual(['a/z.txt']);
    expect((await s.download('a/z.txt')).error).not.toBeNull();
  });

  it('refuses a wrong key and records requests', async () => {
    const bad = createClient(api.url, 'not-the-key', { auth: { persistSession: false } }).storage;
    const { error } = await bad.listBuckets();
    expect(error).not.toBeNull();
    expect(api.requests.some((r) => r.method === 'POST' && r.path === '/storage/v1/object/list/docs')).toBe(
      true,
    );
    expect(api.requests.at(-1)?.status).toBe(400);
  });

  it('injects 5xx and deletes an object right after a listing returned it', async () => {
    api.putObject('docs', 'gone.txt', Buffer.from('bye'));
    api.failNextDownloads(1);
    const s = client().from('docs');
    expect((await s.download('top.txt')).error).not.toBeNull();
    expect((await s.download('top.txt')).error).toBeNull();
    api.deleteAfterList('docs', 'gone.txt');
    const listed = await s.list('');
    expect(listed.data?.some((e) => e.name === 'gone.txt')).toBe(true);
    expect((await s.exists('gone.txt')).data).toBe(false);
  });
});
