import type { IncomingMessage } from 'node:http';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Config } from '../../../../src/config/schema.js';
import { bucketAdapter } from '../../../../src/providers/s3/bucket.js';
import { type S3rverProcess, startS3rverProcess } from '../../../../src/sandbox/s3rver-process.js';
import { createBucket, s3Client } from '../../../helpers/files-fixtures.js';
import { type S3Answer, s3ErrorXml, startS3AnswerProxy } from '../../../helpers/s3-answer-proxy.js';

// PutBucketVersioning: real S3 answers 409 OperationAborted while a conflicting operation on the bucket
// (its creation, typically) is still in progress, and that must be retried; only 501/NotImplemented
// and 405 mean "this service has no such feature". The 409 comes from a proxy in front of s3rver,
// which then plays a versioning-capable S3 for that bucket; everything else reaches s3rver.

let s3rver: S3rverProcess;
const clients: S3Client[] = [];
const closers: (() => Promise<void>)[] = [];
// No real waiting between tries in a test: the backoff is zero.
const retry = { baseMs: 0, capMs: 0 };

const config = (versioning: boolean): S3Config =>
  ({ bucket: 'unused', versioning, cors: [] }) as unknown as S3Config;

beforeAll(async () => {
  s3rver = await startS3rverProcess();
}, 30_000);
afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const close of closers) await close();
  await s3rver?.stop();
});

const isVersioning = (req: IncomingMessage) => /[?&]versioning(=|&|$)/.test(req.url ?? '');

/** A client through a proxy whose PUT ?versioning answers come from `puts` in turn (then 200). */
async function throughProxy(puts: S3Answer[]) {
  let enabled = false;
  let putCount = 0;
  const proxy = await startS3AnswerProxy(s3rver.endpoint, (req) => {
    if (!isVersioning(req)) return undefined;
    if (req.method === 'PUT') {
      const planned = puts[putCount++];
      if (planned) return planned;
      enabled = true;
      return { status: 200 };
    }
    return {
      status: 200,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${enabled ? '<Status>Enabled</Status>' : ''}</VersioningConfiguration>`,
    };
  });
  closers.push(proxy.close);
  const client = s3Client(proxy.endpoint);
  clients.push(client);
  return { proxy, client, puts: () => putCount };
}

const aborted: S3Answer = {
  status: 409,
  body: s3ErrorXml(
    'OperationAborted',
    'A conflicting conditional operation is currently in progress against this resource. Please try again.',
  ),
};

describe('bucketAdapter.configure', () => {
  it('retries PutBucketVersioning answered 409 OperationAborted, then versioning is on', async () => {
    const { client, puts } = await throughProxy([aborted, aborted]);
    await createBucket(client, 'retry-versioning');
    const buckets = bucketAdapter(client, { retry });
    const refused = await buckets.configure('retry-versioning', config(true));
    // s3rver itself has no bucket encryption (501): reported, and beside the point here.
    expect(refused).toEqual(['encryption (NotImplemented)']);
    expect(puts()).toBe(3);
    const observed = await buckets.observe('retry-versioning');
    expect(observed.versioning).toEqual({ supported: true, value: 'Enabled' });
  });

  it('fails, never reports "unsupported", when OperationAborted outlasts the retries', async () => {
    const { client, puts } = await throughProxy(Array.from({ length: 10 }, () => aborted));
    await createBucket(client, 'abort-forever');
    const buckets = bucketAdapter(client, { retry: { ...retry, attempts: 3 } });
    await expect(buckets.configure('abort-forever', config(true))).rejects.toMatchObject({
      code: 'S3_BUCKET_BUSY',
      kind: 'transient',
      message: expect.stringMatching(
        /OperationAborted \(409\) to setting versioning on bucket abort-forever 3 times/,
      ),
    });
    expect(puts()).toBe(3);
  });

  it('treats any other 409 as an error, not as a missing feature', async () => {
    const { client, puts } = await throughProxy([
      {
        status: 409,
        body: s3ErrorXml(
          'InvalidBucketState',
          'The request is not valid with the current state of the bucket.',
        ),
      },
    ]);
    await createBucket(client, 'state-conflict');
    await expect(
      bucketAdapter(client, { retry }).configure('state-conflict', config(true)),
    ).rejects.toMatchObject({ name: 'InvalidBucketState' });
    expect(puts()).toBe(1);
  });

  it('reports versioning as unsupported where the service says NotImplemented (s3rver)', async () => {
    const client = s3Client(s3rver.endpoint);
    clients.push(client);
    await createBucket(client, 'no-versioning');
    const buckets = bucketAdapter(client, { retry });
    expect(await buckets.configure('no-versioning', config(true))).toEqual([
      'encryption (NotImplemented)',
      'versioning (NotImplemented)',
    ]);
    expect((await buckets.observe('no-versioning')).versioning).toMatchObject({ supported: false });
  });
});
