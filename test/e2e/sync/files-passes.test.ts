import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesCopy } from '../../../src/components/files/files-copy.js';
import { filesForwardPass, filesReversePass } from '../../../src/components/files/files-passes.js';
import type { PassSummary } from '../../../src/core/sync-contracts.js';
import type { EngineSession } from '../../../src/engine/session.js';
import { type PostgresCluster, startPostgresCluster } from '../../../src/sandbox/postgres-cluster.js';
import { type S3rverProcess, startS3rverProcess } from '../../../src/sandbox/s3rver-process.js';
import { type StorageStandIn, startSupabaseStorageApi } from '../../../src/sandbox/supabase-storage-api.js';
import {
  createBucket,
  filesConfig,
  SERVICE_KEY,
  s3Client,
  seedBucket,
  sha,
} from '../../helpers/files-fixtures.js';
import { openTestSession } from '../../helpers/session.js';

// The files passes against the Storage API stand-in (bodies), a real PostgreSQL holding storage.objects
// (db mode: the forward pass's change detection) and s3rver, after the real files.copy step.

let s3rver: S3rverProcess;
let api: StorageStandIn;
let cluster: PostgresCluster;
let s3: S3Client;
let db: pg.Client;
const sessions: EngineSession[] = [];
const TARGET = 'files-pass-target';
let config: Record<string, unknown>;

const ctxOf = (id: string) => {
  const session = openTestSession(config);
  sessions.push(session);
  return session.context({ id });
};
const forward = () => filesForwardPass(ctxOf('sync.files'));
const reverse = () => filesReversePass(ctxOf('sync.files'));
const applied = (s: PassSummary) => ({ applied: s.applied, deleted: s.deleted });

async function s3Body(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: TARGET, Key: key }));
  return Buffer.from(
    await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}
const s3Head = (key: string) => s3.send(new HeadObjectCommand({ Bucket: TARGET, Key: key }));
const storageObject = (name: string) => api.objects('media').find((o) => o.name === name);
const storageBody = (name: string) => {
  const o = storageObject(name);
  return o ? readFileSync(o.file) : undefined;
};
/** What Supabase does on every API write and delete: storage.objects follows the stored objects. */
async function mirror() {
  await api.mirrorToPostgres(db);
  await db.query('DELETE FROM storage.objects WHERE bucket_id = $1 AND NOT (name = ANY($2::text[]))', [
    'media',
    api.objects('media').map((o) => o.name),
  ]);
}

async function storageDelete(name: string) {
  const res = await fetch(
    `${api.storageUrl}/object/media/${name.split('/').map(encodeURIComponent).join('/')}`,
    {
      method: 'DELETE',
      headers: { apikey: SERVICE_KEY, authorization: `Bearer ${SERVICE_KEY}` },
    },
  );
  expect(res.status).toBe(200);
  await db.query('DELETE FROM storage.objects WHERE bucket_id = $1 AND name = $2', ['media', name]);
}

beforeAll(async () => {
  [s3rver, api, cluster] = await Promise.all([
    startS3rverProcess(),
    startSupabaseStorageApi({ serviceKey: SERVICE_KEY }),
    startPostgresCluster(),
  ]);
  s3 = s3Client(s3rver.endpoint);
  db = new pg.Client({ connectionString: cluster.url() });
  await db.connect();
  api.createBucket('media', { public: false });
  seedBucket(api, 'media');
  await mirror();
  await createBucket(s3, TARGET);
  config = filesConfig({
    s3Endpoint: s3rver.endpoint,
    targetBucket: TARGET,
    apiUrl: api.url,
    dbUrl: cluster.url(),
    buckets: ['media'],
    stateDir: mkdtempSync(join(tmpdir(), 'engify-files-pass-')),
  });
  // The real copy step first, as phase 2 runs it.
  const session = openTestSession(config);
  sessions.push(session);
  const ctx = session.context(filesCopy);
  for (const change of await filesCopy.plan(ctx)) await filesCopy.apply(ctx, change);
}, 60_000);

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  s3?.destroy();
  await db?.end().catch(() => undefined);
  await Promise.all([s3rver?.stop(), api?.stop(), cluster?.stop()]);
});

describe('files passes (db mode)', () => {
  it('apply nothing when Storage and S3 are equal', async () => {
    const first = await forward();
    expect(applied(first)).toEqual({ applied: 0, deleted: 0 });
    expect(first.refused).toEqual([]);
    expect(first.unchanged).toBeGreaterThan(0);
    // Within the watermark's margin the objects are looked at again, and still nothing is applied.
    expect(applied(await forward())).toEqual({ applied: 0, deleted: 0 });
  });

  it('forward: a change, an addition and a deletion on Storage reach S3; foreign S3 objects are kept', async () => {
    const changed = Buffer.from('plain, edited on Supabase');
    api.putObject('media', 'plain.txt', changed, { mimetype: 'text/plain' });
    const added = Buffer.from('added on Supabase after the copy');
    api.putObject('media', 'new/added file.txt', added, { mimetype: 'text/markdown' });
    await mirror();
    await storageDelete('deep/a/b/c/d.json');
    await s3.send(
      new PutObjectCommand({
        Bucket: TARGET,
        Key: 'media/foreign.txt',
        Body: 'not ours',
        ContentType: 'text/plain',
      }),
    );

    const summary = await forward();
    expect(applied(summary)).toEqual({ applied: 2, deleted: 1 });
    expect(summary.refused).toEqual([
      { key: 'media/foreign.txt', reason: expect.stringMatching(/not written by this tool/) },
    ]);
    expect(sha(await s3Body('media/plain.txt'))).toBe(sha(changed));
    expect((await s3Head('media/new/added file.txt')).ContentType).toBe('text/markdown');
    expect(sha(await s3Body('media/new/added file.txt'))).toBe(sha(added));
    await expect(s3Head('media/deep/a/b/c/d.json')).rejects.toMatchObject({ name: 'NotFound' });
    expect((await s3Head('media/foreign.txt')).ContentLength).toBe(8);

    expect(applied(await forward())).toEqual({ applied: 0, deleted: 0 });
    await s3.send(new DeleteObjectCommand({ Bucket: TARGET, Key: 'media/foreign.txt' }));
  });

  describe('after cutover', () => {
    const fresh = Buffer.from('written by the app on AWS');
    const rewritten = Buffer.from('rewritten on S3 after cutover');

    it('reverse: objects written on S3 reach Storage with type and metadata; S3 deletions are reported, not carried', async () => {
      await s3.send(
        new PutObjectCommand({
          Bucket: TARGET,
          Key: 'media/aws/new.csv',
          Body: fresh,
          ContentType: 'text/csv',
          CacheControl: 'max-age=5',
          Metadata: { origin: 'aws' },
        }),
      );
      await s3.send(
        new PutObjectCommand({
          Bucket: TARGET,
          Key: 'media/with space/and more spaces.txt',
          Body: rewritten,
        }),
      );
      await s3.send(new DeleteObjectCommand({ Bucket: TARGET, Key: 'media/100%.txt' }));
      const before = storageBody('100%.txt');

      const summary = await reverse();
      expect(applied(summary)).toEqual({ applied: 2, deleted: 0 });
      expect(summary.refused).toEqual([
        { key: 'media/100%.txt', reason: expect.stringMatching(/kept on Supabase/) },
      ]);
      const created = storageObject('aws/new.csv');
      expect(created?.mimetype).toBe('text/csv');
      expect(created?.cacheControl).toBe('max-age=5');
      expect(created?.userMetadata).toEqual({ origin: 'aws' });
      expect(sha(storageBody('aws/new.csv') ?? Buffer.alloc(0))).toBe(sha(fresh));
      expect(sha(storageBody('with space/and more spaces.txt') ?? Buffer.alloc(0))).toBe(sha(rewritten));
      expect(storageBody('100%.txt')).toEqual(before);

      const again = await reverse();
      expect(applied(again)).toEqual({ applied: 0, deleted: 0 });
      expect(again.refused.map((r) => r.key)).toEqual(['media/100%.txt']);
    });

    it('reverse: a marked object whose content was changed in place is carried; a carried object deleted on S3 is deleted on Storage', async () => {
      // The app copies an object over another keeping our metadata: the marker alone is not trusted.
      const marked = await s3Head('media/plain.txt');
      await s3.send(
        new PutObjectCommand({
          Bucket: TARGET,
          Key: 'media/plain.txt',
          Body: 'edited in place, metadata kept',
          Metadata: marked.Metadata,
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: TARGET, Key: 'media/aws/temp.txt', Body: 'short-lived' }));
      expect(applied(await reverse())).toEqual({ applied: 2, deleted: 0 });
      await mirror();
      expect(storageBody('plain.txt')?.toString()).toBe('edited in place, metadata kept');
      expect(storageObject('aws/temp.txt')).toBeDefined();

      await s3.send(new DeleteObjectCommand({ Bucket: TARGET, Key: 'media/aws/temp.txt' }));
      expect(applied(await reverse())).toEqual({ applied: 0, deleted: 1 });
      await mirror();
      expect(storageObject('aws/temp.txt')).toBeUndefined();
      expect(applied(await reverse())).toEqual({ applied: 0, deleted: 0 });
    });

    it('after rollback, forward does not echo what reverse carried, and restores what S3 lost', async () => {
      await mirror(); // Storage's own bookkeeping of the reverse pass's uploads
      const summary = await forward();
      // Only 100%.txt (deleted on S3 while on target, kept on Storage) goes back to S3.
      expect(applied(summary)).toEqual({ applied: 1, deleted: 0 });
      expect(summary.refused).toEqual([]);
      expect((await s3Head('media/100%.txt')).Metadata?.['engify-copied-by']).toBe('files-test');
      // The app's objects stay as the app wrote them: not rewritten by the tool.
      const appObject = await s3Head('media/aws/new.csv');
      expect(appObject.Metadata?.['engify-copied-by']).toBeUndefined();
      expect(appObject.Metadata?.origin).toBe('aws');
      expect(
        (await s3Head('media/with space/and more spaces.txt')).Metadata?.['engify-copied-by'],
      ).toBeUndefined();
      expect(applied(await forward())).toEqual({ applied: 0, deleted: 0 });
    });

    it('after rollback, a Storage change to a carried object overwrites it on S3; nothing goes back again', async () => {
      const edited = Buffer.from('edited on Supabase after the rollback');
      api.putObject('media', 'aws/new.csv', edited, { mimetype: 'text/csv' });
      await mirror();
      expect(applied(await forward())).toEqual({ applied: 1, deleted: 0 });
      expect(sha(await s3Body('media/aws/new.csv'))).toBe(sha(edited));
      expect((await s3Head('media/aws/new.csv')).Metadata?.['engify-copied-by']).toBe('files-test');
      expect(applied(await forward())).toEqual({ applied: 0, deleted: 0 });
      // And a reverse pass finds nothing new on S3 (the forward copy carries the marker).
      const back = await reverse();
      expect(applied(back)).toEqual({ applied: 0, deleted: 0 });
      expect(back.refused).toEqual([]);
    });
  });
});

describe('files passes (api mode: listing lastModified as the change detection)', () => {
  const target = 'files-pass-api';
  let apiConfig: Record<string, unknown>;
  const ctx = () => {
    const session = openTestSession(apiConfig);
    sessions.push(session);
    return session.context({ id: 'sync.files' });
  };

  beforeAll(async () => {
    api.createBucket('docs', { public: true });
    seedBucket(api, 'docs');
    await createBucket(s3, target);
    apiConfig = filesConfig({
      s3Endpoint: s3rver.endpoint,
      targetBucket: target,
      apiUrl: api.url,
      buckets: ['docs'],
      stateDir: mkdtempSync(join(tmpdir(), 'engify-files-pass-api-')),
    });
    const c = ctx();
    // Drive files.copy through the same session kind as the passes.
    for (const change of await filesCopy.plan(c)) await filesCopy.apply(c, change);
  });

  it('forward then reverse then forward: each change crosses once and is not echoed', async () => {
    expect(applied(await filesForwardPass(ctx()))).toEqual({ applied: 0, deleted: 0 });
    api.putObject('docs', 'later.txt', Buffer.from('added on Supabase'), { mimetype: 'text/plain' });
    expect(applied(await filesForwardPass(ctx()))).toEqual({ applied: 1, deleted: 0 });
    expect(applied(await filesForwardPass(ctx()))).toEqual({ applied: 0, deleted: 0 });

    const onAws = Buffer.from('written on AWS after cutover');
    await s3.send(
      new PutObjectCommand({
        Bucket: target,
        Key: 'docs/from-aws.txt',
        Body: onAws,
        ContentType: 'text/plain',
      }),
    );
    expect(applied(await filesReversePass(ctx()))).toEqual({ applied: 1, deleted: 0 });
    const o = api.objects('docs').find((x) => x.name === 'from-aws.txt');
    expect(o ? sha(readFileSync(o.file)) : undefined).toBe(sha(onAws));
    expect(applied(await filesReversePass(ctx()))).toEqual({ applied: 0, deleted: 0 });

    const back = await filesForwardPass(ctx());
    expect(applied(back)).toEqual({ applied: 0, deleted: 0 });
    expect(back.refused).toEqual([]);
    expect(
      (await s3.send(new HeadObjectCommand({ Bucket: target, Key: 'docs/from-aws.txt' }))).Metadata,
    ).toEqual({});
  });

  it('reverse refuses without the Storage API key', async () => {
    const session = openTestSession({
      ...apiConfig,
      source: { supabase: { dbUrl: cluster.url(), buckets: ['docs'] } },
    });
    sessions.push(session);
    await expect(filesReversePass(session.context({ id: 'sync.files' }))).rejects.toMatchObject({
      code: 'FILES_REVERSE_CONFIG',
      message: expect.stringMatching(/source\.supabase\.apiUrl/),
    });
  });
});
