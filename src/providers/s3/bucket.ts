import type { CORSRule, S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { type BackoffOptions, withRetry } from '../../core/retry.js';

// The target bucket: default encryption (SSE-S3), CORS from the config, versioning where the service
// supports it. Local stand-ins lack some of these; "unsupported" is reported, never faked as success.

export type Support<T> = { supported: true; value: T } | { supported: false; reason: string };

export interface ObservedBucket {
  exists: boolean;
  /** The bucket exists but belongs to someone else (403 on HEAD). */
  foreign?: boolean;
  encryption: Support<string | undefined>;
  versioning: Support<string | undefined>;
  cors: Support<CORSRule[]>;
}

const errorName = (e: unknown) => (e as { name?: string }).name ?? '';
const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
// Only these mean "this service has no such feature". A 409 never does: on real S3 it is a conflict
// (OperationAborted: retry; anything else: a real error to show).
const unsupported = (e: unknown) => [405, 501].includes(status(e) ?? 0) || errorName(e) === 'NotImplemented';
// Real S3 answers 409 OperationAborted while a conflicting operation on the bucket is in progress,
// typically its own creation a moment ago; it asks to try again.
const operationAborted = (e: unknown) => errorName(e) === 'OperationAborted' && status(e) === 409;

export interface BucketAdapterOptions {
  /** Backoff between retries of a conflicted bucket configuration (tests pass zero). */
  retry?: BackoffOptions & { attempts?: number };
}

export function desiredCors(config: S3Config): CORSRule[] {
  return config.cors.map((r) => ({
    AllowedOrigins: r.allowedOrigins,
    AllowedMethods: r.allowedMethods,
    AllowedHeaders: r.allowedHeaders,
    ExposeHeaders: r.exposeHeaders,
    MaxAgeSeconds: r.maxAgeSeconds,
  }));
}

export function bucketAdapter(client: S3Client, options: BucketAdapterOptions = {}) {
  const sdk = () => import('@aws-sdk/client-s3');
  const retry = { attempts: 8, baseMs: 250, capMs: 5000, ...options.retry };
  return {
    async observe(bucket: string): Promise<ObservedBucket> {
      const s = await sdk();
      try {
        await client.send(new s.HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        if (status(error) === 404 || errorName(error) === 'NotFound' || errorName(error) === 'NoSuchBucket') {
          const none: Support<never> = { supported: false, reason: 'bucket does not exist' };
          return { exists: false, encryption: none, versioning: none, cors: none };
        }
        if (status(error) === 403) {
          const none: Support<never> = { supported: false, reason: 'access denied' };
          return { exists: true, foreign: true, encryption: none, versioning: none, cors: none };
        }
        throw error;
      }
      const encryption: Support<string | undefined> = await client
        .send(new s.GetBucketEncryptionCommand({ Bucket: bucket }))
        .then(
          (r): Support<string | undefined> => ({
            supported: true,
            value:
              r.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
                ?.SSEAlgorithm,
          }),
        )
        .catch(
          (e: unknown): Support<string | undefined> =>
            errorName(e) === 'ServerSideEncryptionConfigurationNotFoundError'
              ? { supported: true, value: undefined }
              : { supported: false, reason: `GetBucketEncryption answered ${errorName(e) || status(e)}` },
        );
      const versioning: Support<string | undefined> = await client
        .send(new s.GetBucketVersioningCommand({ Bucket: bucket }))
        .then((r): Support<string | undefined> => ({ supported: true, value: r.Status }))
        .catch(
          (e: unknown): Support<string | undefined> => ({
            supported: false,
            reason: `GetBucketVersioning answered ${errorName(e) || status(e)}`,
          }),
        );
      const cors: Support<CORSRule[]> = await client
        .send(new s.GetBucketCorsCommand({ Bucket: bucket }))
        .then((r): Support<CORSRule[]> => ({ supported: true, value: r.CORSRules ?? [] }))
        .catch(
          (e: unknown): Support<CORSRule[]> =>
            errorName(e) === 'NoSuchCORSConfiguration'
              ? { supported: true, value: [] }
              : { supported: false, reason: `GetBucketCors answered ${errorName(e) || status(e)}` },
        );
      return { exists: true, encryption, versioning, cors };
    },

    async create(bucket: string, region: string): Promise<void> {
      const s = await sdk();
      await client.send(
        new s.CreateBucketCommand({
          Bucket: bucket,
          // us-east-1 is the one region that rejects an explicit location constraint.
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
    },

    /** Applies encryption, CORS and versioning; returns what the service refused as unsupported. */
    async configure(bucket: string, config: S3Config): Promise<string[]> {
      const s = await sdk();
      const refused: string[] = [];
      const attempt = async (what: string, run: () => Promise<unknown>) => {
        try {
          // Throttling and 5xx are already retried by the SDK; only the conflict needs our loop.
          await withRetry(run, { ...retry, retryable: operationAborted });
        } catch (error) {
          if (unsupported(error)) refused.push(`${what} (${errorName(error) || status(error)})`);
          else if (operationAborted(error))
            throw new EngifyError({
              code: 'S3_BUCKET_BUSY',
              kind: 'transient',
              message: messages.files.bucketBusy(bucket, what, retry.attempts),
              hint: messages.files.bucketBusyHint,
              detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
              cause: error,
            });
          else throw error;
        }
      };
      await attempt('encryption', () =>
        client.send(
          new s.PutBucketEncryptionCommand({
            Bucket: bucket,
            ServerSideEncryptionConfiguration: {
              Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
            },
          }),
        ),
      );
      if (config.cors.length > 0) {
        await attempt('cors', () =>
          client.send(
            new s.PutBucketCorsCommand({
              Bucket: bucket,
              CORSConfiguration: { CORSRules: desiredCors(config) },
            }),
          ),
        );
      }
      if (config.versioning) {
        await attempt('versioning', () =>
          client.send(
            new s.PutBucketVersioningCommand({
              Bucket: bucket,
              VersioningConfiguration: { Status: 'Enabled' },
            }),
          ),
        );
      }
      return refused;
    },

    async isEmpty(bucket: string): Promise<boolean> {
      const s = await sdk();
      const r = await client.send(new s.ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
      return (r.KeyCount ?? r.Contents?.length ?? 0) === 0;
    },

    async delete(bucket: string): Promise<void> {
      const s = await sdk();
      try {
        await client.send(new s.DeleteBucketCommand({ Bucket: bucket }));
      } catch (error) {
        if (status(error) === 404 || errorName(error) === 'NoSuchBucket') return;
        throw error;
      }
    },
  };
}

export type BucketAdapter = ReturnType<typeof bucketAdapter>;

/** Differences between the observed bucket and the config, for what the service lets us observe. */
export function bucketDiff(observed: ObservedBucket, config: S3Config, refused: string[] = []): string[] {
  const out: string[] = [];
  const wasRefused = (what: string) => refused.some((r) => r.startsWith(what));
  if (observed.encryption.supported && !observed.encryption.value && !wasRefused('encryption'))
    out.push('default encryption is off');
  if (
    config.versioning &&
    observed.versioning.supported &&
    observed.versioning.value !== 'Enabled' &&
    !wasRefused('versioning')
  ) {
    out.push(`versioning is ${observed.versioning.value ?? 'off'}, expected Enabled`);
  }
  if (observed.cors.supported) {
    const want = desiredCors(config);
    const have = observed.cors.value;
    const norm = (rules: CORSRule[]) =>
      JSON.stringify(
        rules.map((r) => ({
          o: [...(r.AllowedOrigins ?? [])].sort(),
          m: [...(r.AllowedMethods ?? [])].sort(),
          h: [...(r.AllowedHeaders ?? [])].sort(),
        })),
      );
    if (norm(want) !== norm(have) && !wasRefused('cors')) out.push('CORS rules differ from target.s3.cors');
  }
  return out;
}
