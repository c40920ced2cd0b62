import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../src/sandbox/stack.js';
import type { StorageStandIn } from '../../src/sandbox/supabase-storage-api.js';

export const SERVICE_KEY = 'service-role-key-for-tests';
export const MiB = 1024 * 1024;

/** Names that break naive URL and header handling. */
export const AWKWARD_NAMES = [
  'plain.txt',
  'with space/and more spaces.txt',
  'ünïcødé/文件 📄.txt',
  'plus+sign.txt',
  'percent%41literal.txt',
  '100%.txt',
  'deep/a/b/c/d.json',
  'empty.bin',
];

export interface Seeded {
  name: string;
  body: Buffer;
  sha256: string;
}

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Seeds objects into the stand-in; returns what was seeded. `large` adds an object bigger than one 5 MiB part. */
export function seedBucket(
  api: StorageStandIn,
  bucket: string,
  options: { large?: boolean; owner?: string } = {},
): Seeded[] {
  const seeded: Seeded[] = [];
  for (const name of AWKWARD_NAMES) {
    const body =
      name === 'empty.bin'
        ? Buffer.alloc(0)
        : Buffer.from(`${bucket}:${name}:${randomBytes(64).toString('hex')}`);
    api.putObject(bucket, name, body, {
      mimetype: name.endsWith('.json') ? 'application/json' : 'text/plain',
      cacheControl: 'max-age=60',
      owner: options.owner,
      userMetadata: name === 'plain.txt' ? { label: 'réunion', n: 1 } : undefined,
    });
    seeded.push({ name, body, sha256: sha(body) });
  }
  if (options.large) {
    const body = randomBytes(11 * MiB + 123);
    const name = 'big/large file+%.bin';
    api.putObject(bucket, name, body, { mimetype: 'application/octet-stream', cacheControl: 'no-cache' });
    seeded.push({ name, body, sha256: sha(body) });
  }
  return seeded;
}

export function s3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { ...LOCAL_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

export function filesConfig(options: {
  s3Endpoint: string;
  targetBucket: string;
  apiUrl?: string;
  dbUrl?: string;
  buckets?: string[];
  storage?: Record<string, unknown>;
  stateDir?: string;
  project?: string;
}): Record<string, unknown> {
  return {
    project: options.project ?? 'files-test',
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    source: {
      supabase: {
        ...(options.dbUrl ? { dbUrl: options.dbUrl } : {}),
        ...(options.apiUrl ? { apiUrl: options.apiUrl, serviceRoleKey: SERVICE_KEY } : {}),
        ...(options.buckets ? { buckets: options.buckets } : {}),
        ...(options.storage ? { storage: options.storage } : {}),
      },
    },
    target: {
      aws: {
        region: 'us-east-1',
        credentials: { ...LOCAL_CREDENTIALS },
        endpoints: { s3: options.s3Endpoint },
        maxAttempts: 3,
        requestTimeoutMs: 20_000,
      },
      s3: { bucket: options.targetBucket, partSizeMiB: 5, concurrency: 4 },
    },
  };
}
