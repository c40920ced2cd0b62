import type { CORSRule, S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/schema.js';

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
const unsupported = (e: unknown) => [405, 501].includes(status(e) ?? 0) || errorName(e) === 'NotImplemented';

export function desiredCors(config: S3Config): CORSRule[] {
  return config.cors.map((r) => ({
    AllowedOrigins: r.allowedOrigins,
    AllowedMethods: r.allowedMethods,
    AllowedHeaders: r.allowedHeaders,
    ExposeHeaders: r.exposeHeaders,
    MaxAgeSeconds: r.maxAgeSeconds,
  }));
}

export function bucketAdapter(client: S3Client) {
  const sdk = () => import('@aws-sdk/client-s3');
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
          await run();
        } catch (error) {
          // s3rver answers 409 to PutBucketVersioning; real S3 never does for a bucket we own.
          if (unsupported(error) || (what === 'versioning' && status(error) === 409))
            refused.push(`${what} (${errorName(error) || status(error)})`);
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
