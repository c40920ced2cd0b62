import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Batch } from '../../../core/contracts.js';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { OpenedObject, StorageBucket, StorageObject, StorageSource } from './types.js';

// Supabase Storage's S3-compatible endpoint (https://<ref>.supabase.co/storage/v1/s3) with S3 access
// keys: ListObjectsV2 (UTF-8 byte order, StartAfter resumes exactly) and GetObject. Supabase requires
// path-style addressing. Bucket visibility is not in the S3 API: it comes from the Storage API when
// apiUrl and serviceRoleKey are also configured, else it is reported as unknown.

export interface S3SourceOptions {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  pageSize: number;
  timeoutMs: number;
  maxAttempts: number;
  /** Bucket visibility from the Storage API, when it is configured. */
  publicBuckets?: () => Promise<Map<string, boolean>>;
}

// What S3 answers for keys it does not accept; as with the Storage API's refused service key, these
// are config errors that name the fields to fix, not transient failures to retry.
const REFUSED_KEYS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken']);

function explain(error: unknown, endpoint: string): unknown {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.name ?? e.Code ?? '';
  if (!REFUSED_KEYS.has(code) && e.$metadata?.httpStatusCode !== 403) return error;
  let host = endpoint;
  try {
    host = new URL(endpoint).host;
  } catch {
    // keep the configured text
  }
  return new EngifyError({
    code: 'FILES_SOURCE_UNAUTHORIZED',
    kind: 'config',
    message: messages.files.s3Unauthorized(host, code || 'HTTP 403'),
    hint: messages.files.s3UnauthorizedHint,
    cause: error,
  });
}

export function s3StorageSource(options: S3SourceOptions): StorageSource {
  let client: Promise<S3Client> | undefined;
  const s3 = () => {
    client ??= (async () => {
      const { S3Client } = await import('@aws-sdk/client-s3');
      return new S3Client({
        endpoint: options.endpoint,
        region: options.region,
        credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
        forcePathStyle: true,
        // Reads only: no checksum negotiation the compatible endpoint may not implement.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: options.maxAttempts,
        retryMode: 'adaptive',
        requestHandler: {
          requestTimeout: options.timeoutMs,
          connectionTimeout: Math.min(options.timeoutMs, 5000),
          throwOnRequestTimeout: true,
        },
      });
    })();
    return client;
  };
  return {
    mode: 's3',
    capabilities: { incremental: false, reversible: false, bulk: false },
    resumesAfterName: true,
    async listBuckets(): Promise<StorageBucket[]> {
      const { ListBucketsCommand } = await import('@aws-sdk/client-s3');
      const out = await (await s3()).send(new ListBucketsCommand({})).catch((e: unknown) => {
        throw explain(e, options.endpoint);
      });
      const visibility = options.publicBuckets ? await options.publicBuckets() : undefined;
      return (out.Buckets ?? [])
        .map((b) => b.Name ?? '')
        .filter((name) => name !== '')
        .map((name) => ({ name, public: visibility?.get(name) }));
    },
    async *listObjects(bucket, { after, signal } = {}): AsyncIterable<Batch<StorageObject>> {
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      let token: string | undefined;
      do {
        const out = await (await s3())
          .send(
            new ListObjectsV2Command({
              Bucket: bucket,
              MaxKeys: options.pageSize,
              ...(token ? { ContinuationToken: token } : after ? { StartAfter: after } : {}),
            }),
            { abortSignal: signal },
          )
          .catch((e: unknown) => {
            throw explain(e, options.endpoint);
          });
        const items = (out.Contents ?? []).map(
          (o): StorageObject => ({
            bucket,
            name: o.Key ?? '',
            size: Number(o.Size ?? 0),
            etag: o.ETag,
            lastModified: o.LastModified?.toISOString(),
          }),
        );
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
        if (items.length > 0)
          yield { items, cursor: { bucket, last: items[items.length - 1]?.name ?? null } };
      } while (token);
    },
    async openObject(object, signal): Promise<OpenedObject | undefined> {
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      try {
        const out = await (await s3()).send(
          new GetObjectCommand({ Bucket: object.bucket, Key: object.name }),
          {
            abortSignal: signal,
          },
        );
        return {
          body: out.Body as Readable,
          contentType: out.ContentType,
          cacheControl: out.CacheControl,
          size: out.ContentLength,
          metadata: out.Metadata,
        };
      } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
        throw explain(error, options.endpoint);
      }
    },
    async close() {
      if (client) (await client).destroy();
      client = undefined;
    },
  };
}
