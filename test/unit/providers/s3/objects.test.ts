import { randomBytes } from 'node:crypto';
import { type LookupAddress, lookup } from 'node:dns';
import { Agent } from 'node:http';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketAdapter } from '../../../../src/providers/s3/bucket.js';
import { copySources, hashBody, S3ObjectWriter } from '../../../../src/providers/s3/objects.js';
import type { StorageObject } from '../../../../src/providers/supabase/storage/types.js';
import { type S3rverProcess, startS3rverProcess } from '../../../../src/sandbox/s3rver-process.js';
import { LOCAL_CREDENTIALS } from '../../../../src/sandbox/stack.js';
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
        // One MiB, then a reset as soon as the writer asks for more (not after some milliseconds).
        let sent = false;
        const broken = new Readable({
          read() {
            if (!sent) {
              sent = true;
              this.push(body.subarray(0, MiB));
            } else this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          },
        });
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

// The client production builds for real S3 (no endpoint override: services.ts switches to path-style
// and WHEN_REQUIRED checksums only for a local endpoint) uses the SDK's defaults: virtual-hosted
// addressing and a CRC32 checksum on every upload. Here that client talks to s3rver under
// `<bucket>.s3.localhost`, which s3rver maps to <bucket> when its serviceEndpoint is "localhost"; the
// agent resolves *.localhost to the loopback address, since the system resolver need not.
describe("S3 uploads with the SDK's defaults (virtual-hosted, default checksums), as on real S3", () => {
  let vhost: S3rverProcess;
  let client: S3Client;
  let pathStyle: S3Client;
  const requests: { method: string; hostname: string; headers: Record<string, string> }[] = [];
  const BUCKET_V = 'vhost-files';

  const localhostLookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    if (hostname !== 'localhost' && !hostname.endsWith('.localhost'))
      return lookup(hostname, options, callback as never);
    if (options.all) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
    return callback(null, '127.0.0.1', 4);
  };

  beforeAll(async () => {
    vhost = await startS3rverProcess({ serviceEndpoint: 'localhost' });
    const port = new URL(vhost.endpoint).port;
    client = new S3Client({
      endpoint: `http://s3.localhost:${port}`,
      region: 'us-east-1',
      credentials: { ...LOCAL_CREDENTIALS },
      requestHandler: { httpAgent: new Agent({ lookup: localhostLookup as never }) },
    });
    client.middlewareStack.add(
      (next) => async (args) => {
        const r = args.request as { method: string; hostname: string; headers: Record<string, string> };
        requests.push({ method: r.method, hostname: r.hostname, headers: { ...r.headers } });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordRequests' },
    );
    // A second, path-style view of the same s3rver: what was stored, read without the client under test.
    pathStyle = s3Client(vhost.endpoint);
  }, 30_000);
  afterAll(async () => {
    client?.destroy();
    pathStyle?.destroy();
    await vhost?.stop();
  });

  const stored = async (key: string) => {
    const out = await pathStyle.send(new GetObjectCommand({ Bucket: BUCKET_V, Key: key }));
    return Buffer.from(
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  };

  it('creates the bucket and copies one-part and multipart objects intact, as files.copy does', async () => {
    await bucketAdapter(client).create(BUCKET_V, 'us-east-1');
    const vhostWriter = new S3ObjectWriter({
      client,
      bucket: BUCKET_V,
      prefix: 'p/',
      project: 'unit',
      partSizeBytes: 5 * MiB,
      partQueue: 2,
    });
    const small = randomBytes(300 * 1024);
    const large = randomBytes(5 * MiB + 4321);
    for (const [name, body] of [
      ['one part.bin', small],
      ['multi+part.bin', large],
    ] as const) {
      const result = await vhostWriter.copy(object(name, body.length), async () => ({ body: chunked(body) }));
      expect(result).toMatchObject({ status: 'copied', bytes: body.length, sha256: sha(body) });
      expect(await vhostWriter.hashStored(`p/b/${name}`)).toEqual({
        size: body.length,
        sha256: sha(body),
        stored: sha(body),
        copiedBy: 'unit',
      });
      expect(sha(await stored(`p/b/${name}`))).toBe(sha(body));
    }

    // The path exercised really was the default one: bucket in the host name, checksums on uploads,
    // and never the aws-chunked framing s3rver would store verbatim.
    expect(new Set(requests.map((r) => r.hostname))).toEqual(new Set([`${BUCKET_V}.s3.localhost`]));
    const uploads = requests.filter(
      (r) => r.method === 'PUT' && r.headers['x-amz-copy-source'] === undefined,
    );
    expect(uploads.length).toBeGreaterThanOrEqual(3); // CreateBucket, the one-part PUT, two parts
    expect(
      uploads.filter((r) => r.headers['x-amz-checksum-crc32'] !== undefined).length,
    ).toBeGreaterThanOrEqual(3);
    expect(requests.filter((r) => r.headers['content-encoding'] === 'aws-chunked')).toEqual([]);
  });

  it('shows the s3rver limit the writer steers clear of: a streamed PutObject body is stored with its aws-chunked framing', async () => {
    // With default checksums the SDK sends a stream body aws-chunked with a trailing checksum; real S3
    // decodes that, s3rver keeps the framing. Buffers (the writer's one-part PUT, lib-storage's parts)
    // carry the checksum in a header instead, so they are stored intact on both.
    const body = randomBytes(3000);
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET_V,
        Key: 'streamed.bin',
        Body: Readable.from([body]),
        ContentLength: body.length,
      }),
    );
    expect(requests.at(-1)?.headers['content-encoding']).toBe('aws-chunked');
    const kept = await stored('streamed.bin');
    expect(kept.length).toBeGreaterThan(body.length);
    expect(kept.subarray(0, 5).toString()).toBe(`${body.length.toString(16)}\r\n`);
    expect(kept.includes(body)).toBe(true);
  });
});
