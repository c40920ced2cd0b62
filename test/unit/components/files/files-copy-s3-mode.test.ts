import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesCopy } from '../../../../src/components/files/files-copy.js';
import type { EngineSession } from '../../../../src/engine/session.js';
import { type S3rverProcess, startS3rverProcess } from '../../../../src/sandbox/s3rver-process.js';
import { LOCAL_CREDENTIALS } from '../../../../src/sandbox/stack.js';
import {
  AWKWARD_NAMES,
  createBucket,
  filesConfig,
  MiB,
  s3Client,
  sha,
} from '../../../helpers/files-fixtures.js';
import { openTestSession } from '../../../helpers/session.js';

// Supabase Storage's S3-compatible endpoint, stood in by a second s3rver bucket.
let s3rver: S3rverProcess;
let s3: S3Client;
const sessions: EngineSession[] = [];
const seeded = new Map<string, string>();
const SOURCE = 'supa-media';

const config = (target: string, stateDir?: string) => {
  const c = filesConfig({ s3Endpoint: s3rver.endpoint, targetBucket: target, buckets: [SOURCE], stateDir });
  (c.source as { supabase: Record<string, unknown> }).supabase.storage = {
    mode: 's3',
    s3Endpoint: s3rver.endpoint,
    s3AccessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    s3SecretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
    pageSize: 4,
  };
  return c;
};
const open = (c: Record<string, unknown>, options: Parameters<typeof openTestSession>[1] = {}) => {
  const s = openTestSession(c, options);
  sessions.push(s);
  return s;
};
async function bytesOf(bucket: string, key: string) {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

beforeAll(async () => {
  s3rver = await startS3rverProcess();
  s3 = s3Client(s3rver.endpoint);
  await createBucket(s3, SOURCE);
  for (const [i, name] of AWKWARD_NAMES.entries()) {
    const body = name === 'empty.bin' ? Buffer.alloc(0) : Buffer.from(`s3 mode ${i} ${name}`.repeat(i + 1));
    await s3.send(
      new PutObjectCommand({
        Bucket: SOURCE,
        Key: name,
        Body: body,
        ContentType: 'text/plain',
        CacheControl: 'max-age=5',
        Metadata: { origin: 'app' },
      }),
    );
    seeded.set(name, sha(body));
  }
  const big = Buffer.alloc(12 * MiB, 7);
  big.write('tail', big.length - 4);
  await new Upload({
    client: s3,
    params: { Bucket: SOURCE, Key: 'z/big+one %.bin', Body: big, ContentType: 'video/mp4' },
    partSize: 5 * MiB,
  }).done();
  seeded.set('z/big+one %.bin', sha(big));
}, 60_000);

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  s3?.destroy();
  await s3rver?.stop();
});

describe('files.copy, s3 mode (S3-compatible endpoint)', () => {
  it('plans with unknown visibility, copies, keeps content type and source metadata, verifies', async () => {
    const target = 'files-s3-target';
    await createBucket(s3, target);
    const session = open(config(target));
    const ctx = session.context(filesCopy);
    const changes = await filesCopy.plan(ctx);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.details).toMatchObject({ bucket: SOURCE, objects: seeded.size, mode: 's3' });
    expect(changes[0]?.warnings?.[0]).toMatch(/Cannot tell whether bucket/);
    const [only] = changes;
    if (!only) throw new Error('nothing planned');
    await filesCopy.apply(ctx, only);
    for (const [name, hash] of seeded) {
      const key = `${SOURCE}/${name}`;
      expect(sha(await bytesOf(target, key)), key).toBe(hash);
      const head = await s3.send(new HeadObjectCommand({ Bucket: target, Key: key }));
      expect(head.Metadata?.sha256, key).toBe(hash);
    }
    const big = await s3.send(new HeadObjectCommand({ Bucket: target, Key: `${SOURCE}/z/big+one %.bin` }));
    expect(big.ContentType).toBe('video/mp4');
    const small = await s3.send(new HeadObjectCommand({ Bucket: target, Key: `${SOURCE}/plus+sign.txt` }));
    expect(small.Metadata).toMatchObject({ origin: 'app', 'engify-copied-by': 'files-test' });
    expect(small.CacheControl).toBe('max-age=5');
    const checks = await filesCopy.verify(session.context(filesCopy));
    expect(checks.map((c) => c.ok)).toEqual([true, true, true, true]);
  });

  it('resumes after a crash from the journaled key, without re-reading what was done', async () => {
    const target = 'files-s3-resume';
    await createBucket(s3, target);
    const stateDir = mkdtempSync(join(tmpdir(), 'files-s3-resume-'));
    const abort = new AbortController();
    const first = open(config(target, stateDir), { signal: abort.signal });
    const ctx = first.context(filesCopy, {
      progress: ({ done }) => {
        if (done >= 4) abort.abort(new Error('simulated crash'));
      },
    });
    const [change] = await filesCopy.plan(ctx);
    if (!change) throw new Error('nothing planned');
    await expect(filesCopy.apply(ctx, change)).rejects.toThrow();
    const cp = ctx.journal.lastCheckpoint(`bucket:${SOURCE}`);
    expect(cp?.done).toBe(false);
    const last = (cp?.cursor as { last?: string } | undefined)?.last;
    expect(typeof last).toBe('string');
    // Objects finish out of order: the journaled prefix holds at least one of the four done.
    const copiedFirst = cp?.count ?? 0;
    expect(copiedFirst).toBeGreaterThanOrEqual(1);
    await first.close();

    const second = open(config(target, stateDir));
    const ctx2 = second.context(filesCopy);
    for (const c of await filesCopy.plan(ctx2)) await filesCopy.apply(ctx2, c);
    const after = ctx2.journal.lastCheckpoint(`bucket:${SOURCE}`);
    expect(after?.done).toBe(true);
    // The second run lists only after the cursor; objects finished past the cursor in the first run
    // are skipped there (already present), so nothing is copied twice: copied counts sum to at most
    // the object count, and verify proves every object is there.
    // (The count is the bucket's total over both runs.)
    expect(after?.count).toBeLessThanOrEqual(seeded.size);
    expect(after?.count).toBeGreaterThanOrEqual(seeded.size - 4);
    const checks = await filesCopy.verify(ctx2);
    expect(checks.every((c) => c.ok)).toBe(true);
  });
});
