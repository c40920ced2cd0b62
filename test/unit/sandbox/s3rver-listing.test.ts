import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type S3rverProcess, startS3rverProcess } from '../../../src/sandbox/s3rver-process.js';
import { createBucket, s3Client } from '../../helpers/files-fixtures.js';

// s3rver lists in the order of its directory walk unless patched (S3RVER_LIST_IN_KEY_ORDER): both the
// stack's s3rver (services-child) and a standalone s3rver process must list in UTF-8 byte order, and
// page through StartAfter / ContinuationToken without skipping or repeating a key, as S3 documents.
const KEYS = [
  'deep-x.txt',
  'deep.txt',
  'Zebra.txt',
  'a/b.txt',
  'a-b.txt',
  'deep/a/b/c/d.json',
  'plain.txt',
  'é/x',
  'z 1',
];
const sorted = [...KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

let own: S3rverProcess | undefined;
afterAll(() => own?.stop());

describe.each([
  ['the local stack s3rver', async () => inject('stack').endpoints.s3],
  [
    'a standalone s3rver process',
    async () => {
      own = await startS3rverProcess();
      return own.endpoint;
    },
  ],
])('%s lists in S3 key order', (_, endpoint) => {
  it('one page, pages of 2, StartAfter and Delimiter', async () => {
    const s3 = s3Client(await endpoint());
    const bucket = `order-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
    await createBucket(s3, bucket);
    for (const Key of KEYS) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    const one = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(one.Contents?.map((c) => c.Key)).toEqual(sorted);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const r = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 2, ContinuationToken: token }),
      );
      paged.push(...(r.Contents ?? []).map((c) => c.Key as string));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    expect(paged).toEqual(sorted);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'deep-x.txt' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(sorted.slice(sorted.indexOf('deep-x.txt') + 1));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'deep/', 'é/']);
    expect(top.Contents?.map((c) => c.Key)).toEqual(sorted.filter((k) => !k.includes('/')));
    s3.destroy();
  });
});
