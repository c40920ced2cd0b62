import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySources, hashBody, S3ObjectWriter } from '../../../../src/providers/s3/objects.js';
import type { StorageObject } from '../../../../src/providers/supabase/storage/types.js';
import { type S3rverProcess, startS3rverProcess } from '../../../../src/sandbox/s3rver-process.js';
import { createBucket, MiB, s3Client, sha } from '../../../helpers/files-fixtures.js';

let s3rver: S3rverProcess;
let s3: S3Client;
let writer: S3ObjectWriter;
const BUCKET = 'objects-unit';

beforeAll(async () => {
  s3rver = await startS3rverProcess();
  s3 = s3Client(s3rver.endpoint);
  await createBucket(s3, BUCKET);
  writer = new S3ObjectWriter({
    client: s3,
    bucket: BUCKET,
    prefix: 'p/',
    project: 'unit',
    partSizeBytes: 5 * MiB,
    partQueue: 2,
  });
}, 30_000);
afterAll(async () => {
  s3?.destroy();
  await s3rver?.stop();
});

const object = (name: string, size: number): StorageObject => ({
  bucket: 'b',
  name,
  size,
  etag: `"${name}-etag"`,
});
const chunked = (body: Buffer, chunk = 256 * 1024) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < body.length; i += chunk) yield body.subarray(i, i + chunk);
    })(),
  );

describe('S3ObjectWriter', () => {
  it.each([
    ['exactly one part', 5 * MiB],
    ['one byte over a part', 5 * MiB + 1],
    ['zero bytes', 0],
  ])('stores %s with its SHA-256 in metadata', async (label, size) => {
    const body = randomBytes(size);
    const name = `edge/${label}.bin`;
    const result = await writer.copy(object(name, size), async () => ({ body: chunked(body) }));
    expect(result).toMatchObject({ status: 'copied', bytes: size, sha256: sha(body) });
    const stored = await writer.hashStored(`p/b/${name}`);
    expect(stored).toEqual({ size, sha256: sha(body), stored: sha(body), copiedBy: 'unit' });
  });

  it('restarts an object whose source broke off mid-body, and skips it once up to date', async () => {
    const body = randomBytes(6 * MiB);
    let opens = 0;
    const open = async () => {
      opens++;
      if (opens === 1) {
        const broken = new Readable({ read() {} });
        broken.push(body.subarray(0, MiB));
        setTimeout(
          () => broken.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
          20,
        );
        return { body: broken };
      }
      return { body: chunked(body) };
    };
    const result = await writer.copy(object('reset.bin', body.length), open);
    expect(opens).toBe(2);
    expect(result.sha256).toBe(sha(body));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'p/b/reset.bin' }));
    expect(head.Metadata?.sha256).toBe(sha(body));
    const again = await writer.copy(object('reset.bin', body.length), open);
    expect(again.status).toBe('skipped');
    expect(opens).toBe(2);
    // A changed source tag means a changed object: copied again.
    const changed = await writer.copy({ ...object('reset.bin', body.length), etag: '"other"' }, open);
    expect(changed.status).toBe('copied');
  });

  it('reports an object that is gone instead of failing', async () => {
    expect(await writer.copy(object('gone.txt', 3), async () => undefined)).toMatchObject({ status: 'gone' });
  });

  it('encodes copy sources strictly first, loosely for s3rver', () => {
    expect(copySources('b', 'a b/c+d%.txt')).toEqual(['b/a%20b/c%2Bd%25.txt', 'b/a%20b/c+d%25.txt']);
    expect(copySources('b', 'plain/x.txt')).toEqual(['b/plain/x.txt']);
  });

  it('hashes a body stream', async () => {
    expect(await hashBody(Readable.from([Buffer.from('abc')]))).toEqual({
      size: 3,
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });
});
