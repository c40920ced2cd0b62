import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { HashingStream } from './hashing-stream.js';

// Objects written from a stream of unknown length (a COPY, a snapshot download), hashed on the way:
// lib-storage's multipart Upload holds at most queueSize parts in memory and nothing on disk. Until it
// completes, a multipart upload is no object at all, so a process killed mid-upload leaves no torn
// object behind (only an incomplete upload, which the bucket's lifecycle rule aborts).

export interface Encryption {
  /** SSE-KMS with this key; absent: SSE-S3 (AES256). */
  kmsKeyId?: string;
}

export interface StreamedObject {
  key: string;
  bytes: number;
  sha256: string;
}

const PART_BYTES = 8 * 1024 * 1024;

export async function uploadStream(
  client: S3Client,
  options: {
    bucket: string;
    key: string;
    body: Readable;
    contentType: string;
    encryption?: Encryption;
    signal?: AbortSignal;
  },
): Promise<StreamedObject> {
  const { Upload } = await import('@aws-sdk/lib-storage');
  const hasher = new HashingStream();
  const body = options.body.pipe(hasher);
  options.body.on('error', (e) => hasher.destroy(e));
  const abortController = new AbortController();
  const onAbort = () => abortController.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const upload = new Upload({
      client,
      params: {
        Bucket: options.bucket,
        Key: options.key,
        Body: body,
        ContentType: options.contentType,
        ...sseParams(options.encryption),
      },
      partSize: PART_BYTES,
      queueSize: 2,
      leavePartsOnError: false,
      abortController,
    });
    await upload.done();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { key: options.key, bytes: hasher.bytes, sha256: hasher.digest() };
}

export function sseParams(encryption: Encryption | undefined) {
  if (!encryption) return {};
  return encryption.kmsKeyId
    ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: encryption.kmsKeyId }
    : { ServerSideEncryption: 'AES256' as const };
}
