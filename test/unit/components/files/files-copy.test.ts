import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesCopy } from '../../../../src/components/files/files-copy.js';
import type { Change } from '../../../../src/core/step.js';
import type { EngineSession } from '../../../../src/engine/session.js';
import { type PostgresCluster, startPostgresCluster } from '../../../../src/sandbox/postgres-cluster.js';
import { type S3rverProcess, startS3rverProcess } from '../../../../src/sandbox/s3rver-process.js';
import {
  type StorageStandIn,
  startSupabaseStorageApi,
} from '../../../../src/sandbox/supabase-storage-api.js';
import {
  createBucket,
  filesConfig,
  MiB,
  SERVICE_KEY,
  type Seeded,
  s3Client,
  seedBucket,
  sha,
} from '../../../helpers/files-fixtures.js';
import { openTestSession } from '../../../helpers/session.js';

const OWNER = '6f1c2b9e-8a43-4c1e-9a55-0d7e1f2a3b4c';
let s3rver: S3rverProcess;
let api: StorageStandIn;
let cluster: PostgresCluster;
let s3: S3Client;
const sessions: EngineSession[] = [];

const open = (config: Record<string, unknown>, options: Parameters<typeof openTestSession>[1] = {}) => {
  const session = openTestSession(config, options);
  sessions.push(session);
  return session;
};

/** Storage API mode (listing and bodies through the Storage API stand-in) into an s3rver bucket. */
const apiConfig = (targetBucket: string, buckets: string[], stateDir?: string) =>
  filesConfig({
    s3Endpoint: s3rver.endpoint,
    targetBucket,
    apiUrl: api.url,
    buckets,
    storage: { mode: 'api' },
    ...(stateDir ? { stateDir } : {}),
  });

async function run(session: EngineSession): Promise<Change[]> {
  const ctx = session.context(filesCopy);
  const changes = await filesCopy.plan(ctx);
  for (const change of changes) await filesCopy.apply(ctx, change);
  return changes;
}

async function body(bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

async function expectCopied(target: string, bucket: string, seeded: Seeded[], skip: string[] = []) {
  for (const s of seeded) {
    if (skip.includes(s.name)) continue;
    const key = `${bucket}/${s.name}`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: target, Key: key }));
    expect(head.ContentLength, key).toBe(s.body.length);
    expect(head.Metadata?.sha256, key).toBe(s.sha256);
    expect(sha(await body(target, key)), key).toBe(s.sha256);
  }
}

beforeAll(async () => {
  [s3rver, api, cluster] = await Promise.all([
    startS3rverProcess(),
    startSupabaseStorageApi({ serviceKey: SERVICE_KEY }),
    startPostgresCluster(),
  ]);
  s3 = s3Client(s3rver.endpoint);
}, 60_000);

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  s3?.destroy();
  await Promise.all([s3rver?.stop(), api?.stop(), cluster?.stop()]);
});

describe('files.copy, db mode (storage.objects listing, Storage API bodies)', () => {
  let seeded: Seeded[];
  const target = 'files-db-target';
  let config: Record<string, unknown>;

  beforeAll(async () => {
    api.createBucket('media', { public: true });
    api.createBucket('private-docs', { public: false });
    seeded = seedBucket(api, 'media', { large: true, owner: OWNER });
    seedBucket(api, 'private-docs');
    api.putObject('media', 'vanishes.txt', Buffer.from('listed, then deleted'));
    const client = new pg.Client({ connectionString: cluster.url() });
    await client.connect();
    await api.mirrorToPostgres(client);
    await client.end();
    // Deleted between list and copy: the row stays in storage.objects, the body is gone.
    api.dropBody('media', 'vanishes.txt');
    await createBucket(s3, target);
    config = filesConfig({
      s3Endpoint: s3rver.endpoint,
      targetBucket: target,
      apiUrl: api.url,
      dbUrl: cluster.url(),
      buckets: ['media', 'private-*'],
    });
  });

  it('plans counts and bytes per bucket and names public and private buckets', async () => {
    const session = open(config);
    const changes = await filesCopy.plan(session.context(filesCopy));
    expect(
      changes.map((c) => [
        c.action,
        (c.details as { bucket: string }).bucket,
        (c.details as { objects: number }).objects,
      ]),
    ).toEqual([
      ['copy', 'media', seeded.length + 1],
      ['copy', 'private-docs', 8],
    ]);
    const media = changes[0] as Change;
    expect((media.details as { bytes: number }).bytes).toBe(
      seeded.reduce((n, s) => n + s.body.length, 0) + 20,
    );
    expect((media.details as { mode: string }).mode).toBe('db');
    expect(media.warnings?.[0]).toMatch(/public.*CloudFront/);
    expect(changes[1]?.warnings?.[0]).toMatch(/createSignedUrl/);
  });

  it('copies every object with metadata and hash, surviving 5xx and a vanished object', async () => {
    api.failEveryNthDownload(3);
    const logs: string[] = [];
    const session = open(config);
    const ctx = session.context(filesCopy, { log: (m) => logs.push(m) });
    for (const change of await filesCopy.plan(ctx)) await filesCopy.apply(ctx, change);
    api.failEveryNthDownload(0);
    await expectCopied(target, 'media', seeded);
    expect(api.requests.some((r) => r.status === 503)).toBe(true);
    expect(logs.some((l) => l.includes('media/vanishes.txt') && /deleted/.test(l))).toBe(true);

    const plain = await s3.send(new HeadObjectCommand({ Bucket: target, Key: 'media/plain.txt' }));
    expect(plain.ContentType).toBe('text/plain');
    expect(plain.CacheControl).toBe('max-age=60');
    expect(plain.Metadata?.['owner-id']).toBe(OWNER);
    expect(plain.Metadata?.['engify-copied-by']).toBe('files-test');
    const custom = JSON.parse(
      Buffer.from(plain.Metadata?.['supabase-user-metadata'] ?? '', 'base64url').toString(),
    );
    expect(custom).toEqual({ label: 'réunion', n: 1 });
    const big = await s3.send(new HeadObjectCommand({ Bucket: target, Key: 'media/big/large file+%.bin' }));
    expect(big.ContentType).toBe('application/octet-stream');
    expect(big.CacheControl).toBe('no-cache');
    // Multipart: the ETag of a multipart object is not the plain MD5 of one PUT.
    expect(big.ETag).toBeDefined();

    const checks = await filesCopy.verify(session.context(filesCopy));
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.length).toBe(8);

    // Done buckets plan as noop, and a second apply changes nothing.
    const again = await filesCopy.plan(session.context(filesCopy));
    expect(again.every((c) => c.action === 'noop')).toBe(true);
  });

  it('is idempotent without the journal: identical objects are skipped, not read again', async () => {
    const before = api.requests.filter(
      (r) => r.method === 'GET' && r.path.startsWith('/storage/v1/object/authenticated/'),
    ).length;
    await run(open(config)); // a fresh state dir: no checkpoints to lean on
    const after = api.requests.filter(
      (r) => r.method === 'GET' && r.path.startsWith('/storage/v1/object/authenticated/'),
    ).length;
    // Only the vanished object is asked for again (it was never copied).
    expect(after - before).toBe(1);
  });

  it('verify catches a corrupted object and an extra one', async () => {
    const key = 'media/plus+sign.txt';
    const head = await s3.send(new HeadObjectCommand({ Bucket: target, Key: key }));
    await s3.send(
      new PutObjectCommand({
        Bucket: target,
        Key: key,
        Body: Buffer.from('tampered'),
        Metadata: head.Metadata,
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: target,
        Key: 'media/stray.txt',
        Body: Buffer.from('not from supabase'),
      }),
    );
    const checks = await filesCopy.verify(open(config).context(filesCopy));
    const failed = checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name).sort()).toEqual([
      'files media: no objects on the target that Supabase lacks',
      'files media: object count',
      'files media: size and SHA-256 of every object',
      'files media: total bytes',
    ]);
    const hashes = failed.find((c) => c.name.includes('SHA-256'));
    expect(JSON.stringify(hashes?.actual)).toContain('plus+sign.txt');
    expect(JSON.stringify(failed.find((c) => c.name.includes('lacks'))?.actual)).toContain('media/stray.txt');
    expect(hashes?.hint).toBeTruthy();
  });

  it('rolls back only the objects it wrote', async () => {
    const session = open(config);
    // the session that copied is gone; rollback reads the journal of a session sharing nothing but
    // the target, so it must find its objects by the marker
    const ctx = session.context(filesCopy);
    ctx.journal.checkpoint('bucket:media', { bucket: 'media', last: null }, 0);
    await filesCopy.rollback?.(ctx);
    const left: string[] = [];
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const out = await s3.send(new ListObjectsV2Command({ Bucket: target, Prefix: 'media/' }));
    for (const o of out.Contents ?? []) left.push(o.Key ?? '');
    expect(left).toEqual(['media/stray.txt']);
    expect(ctx.journal.lastCheckpoint('bucket:media')).toBeUndefined();
  });
});

describe('files.copy, api mode (supabase-js listing with folders)', () => {
  const target = 'files-api-target';
  let seeded: Seeded[];
  let config: Record<string, unknown>;

  beforeAll(async () => {
    api.createBucket('uploads');
    seeded = seedBucket(api, 'uploads');
    api.putObject('uploads', 'deep/a/goes-away.txt', Buffer.from('soon gone'));
    await createBucket(s3, target);
    config = filesConfig({
      s3Endpoint: s3rver.endpoint,
      targetBucket: target,
      apiUrl: api.url,
      buckets: ['uploads'],
      storage: { mode: 'api', pageSize: 3 },
    });
  });

  it('walks nested folders over small pages and copies everything', async () => {
    api.deleteAfterList('uploads', 'deep/a/goes-away.txt');
    api.failNextDownloads(2);
    const changes = await run(open(config));
    expect((changes[0]?.details as { objects?: number } | undefined)?.objects).toBe(seeded.length + 1);
    await expectCopied(target, 'uploads', seeded);
    const checks = await filesCopy.verify(open(config).context(filesCopy));
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('resumes after an interruption without copying twice', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'files-resume-'));
    const resumeTarget = 'files-api-resume';
    await createBucket(s3, resumeTarget);
    const cfg = apiConfig(resumeTarget, ['uploads'], stateDir);
    const abort = new AbortController();
    const first = open(cfg, { signal: abort.signal });
    const ctx = first.context(filesCopy, {
      progress: ({ done }) => {
        if (done >= 3) abort.abort(new Error('simulated crash'));
      },
    });
    const [change] = await filesCopy.plan(ctx);
    if (!change) throw new Error('nothing planned');
    await expect(filesCopy.apply(ctx, change)).rejects.toThrow();
    await first.close();
    const puts = () =>
      api.requests.filter((r) => r.path.startsWith('/storage/v1/object/authenticated/uploads/')).length;
    const before = puts();
    await run(open(cfg));
    await expectCopied(resumeTarget, 'uploads', seeded);
    // At least the objects finished before the interruption were not downloaded again.
    expect(puts() - before).toBeLessThanOrEqual(seeded.length - 3);
  });

  it('sends no HEAD per object into an empty prefix, and checks every object when the prefix holds some', async () => {
    const t = 'files-api-heads';
    await createBucket(s3, t);
    const cfg = apiConfig(t, ['uploads']);
    const heads = async (session: EngineSession) => {
      let n = 0;
      (await session.services.s3()).middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'HeadObjectCommand') n++;
          return next(args);
        },
        { step: 'initialize', name: 'countHeads' },
      );
      await run(session);
      return n;
    };
    expect(await heads(open(cfg))).toBe(0);
    await expectCopied(t, 'uploads', seeded);
    // A second run with a fresh journal finds the objects there: each one is checked (and skipped).
    expect(await heads(open(cfg))).toBeGreaterThanOrEqual(seeded.length);
  });

  it('keeps the bytes in flight within concurrency x part size, however large the objects', async () => {
    // Concurrency 4 with 5 MiB parts: 20 MiB between the objects in flight. A 12 MiB object holds three
    // parts (partQueue 2 + the one being read), 15 MiB, so only one runs at a time.
    api.createBucket('budget');
    const big = Array.from({ length: 4 }, (_, i) => {
      const b = Buffer.alloc(12 * MiB, i + 1);
      api.putObject('budget', `big-${i}.bin`, b);
      return { name: `big-${i}.bin`, body: b, sha256: sha(b) } satisfies Seeded;
    });
    const t = 'files-api-budget';
    await createBucket(s3, t);
    const cfg = apiConfig(t, ['budget']);
    api.resetActiveDownloads();
    await run(open(cfg));
    expect(api.maxActiveDownloads()).toBe(1);
    await expectCopied(t, 'budget', big);
  });

  it('overwrites an unmarked object only at a key a crashed run journaled as in flight', async () => {
    const t = 'files-api-torn';
    await createBucket(s3, t);
    // What a torn upload leaves on some S3 stand-ins: the key exists, without our metadata.
    await s3.send(new PutObjectCommand({ Bucket: t, Key: 'uploads/plain.txt', Body: Buffer.from('torn') }));
    const stateDir = mkdtempSync(join(tmpdir(), 'engify-files-torn-'));
    const cfg = apiConfig(t, ['uploads'], stateDir);
    // The crashed run had journaled plain.txt as being written when it died.
    open(cfg)
      .context(filesCopy)
      .journal.checkpoint('bucket:uploads:inflight', { names: ['plain.txt'] }, 0);
    await run(open(cfg));
    await expectCopied(t, 'uploads', seeded);
    expect((await body(t, 'uploads/plain.txt')).toString()).not.toBe('torn');
  });

  it('refuses to overwrite an object it did not write, unless forced', async () => {
    const t = 'files-api-conflict';
    await createBucket(s3, t);
    await s3.send(
      new PutObjectCommand({ Bucket: t, Key: 'uploads/plain.txt', Body: Buffer.from('someone else') }),
    );
    const cfg = apiConfig(t, ['uploads']);
    await expect(run(open(cfg))).rejects.toMatchObject({ code: 'FILES_TARGET_CONFLICT' });
    expect((await body(t, 'uploads/plain.txt')).toString()).toBe('someone else');
    await run(open(cfg, { force: true }));
    await expectCopied(t, 'uploads', seeded);
  });

  it('names a missing bucket and a refused key clearly', async () => {
    const missing = apiConfig(target, ['nope']);
    await expect(filesCopy.plan(open(missing).context(filesCopy))).rejects.toMatchObject({
      code: 'FILES_UNKNOWN_BUCKET',
    });
    const bad = apiConfig(target, ['uploads']);
    (bad.source as { supabase: { serviceRoleKey: string } }).supabase.serviceRoleKey = 'wrong';
    const error = await filesCopy.plan(open(bad).context(filesCopy)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FILES_SOURCE_UNAUTHORIZED', kind: 'config' });
    expect(String((error as Error).message)).not.toContain('wrong');
  });
});
