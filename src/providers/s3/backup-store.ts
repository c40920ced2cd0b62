import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { type Encryption, sseParams } from './stream-object.js';

// The few S3 calls a backup needs beyond streamed uploads: small JSON objects (the manifest, written
// last, so a backup without one is incomplete by definition), reading objects back as streams, listing
// and deleting under a prefix, the bucket's region, and one lifecycle rule on the prefix.

export function backupStore(client: S3Client, bucket: string) {
  const s3 = () => import('@aws-sdk/client-s3');
  return {
    async putJson(key: string, value: unknown, encryption?: Encryption): Promise<void> {
      const s = await s3();
      await client.send(
        new s.PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: `${JSON.stringify(value, null, 2)}\n`,
          ContentType: 'application/json',
          ...sseParams(encryption),
        }),
      );
    },

    /** The object's text, or undefined when there is none. */
    async getText(key: string): Promise<string | undefined> {
      const s = await s3();
      try {
        const out = await client.send(new s.GetObjectCommand({ Bucket: bucket, Key: key }));
        return await out.Body?.transformToString();
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async getStream(key: string): Promise<Readable> {
      const s = await s3();
      const out = await client.send(new s.GetObjectCommand({ Bucket: bucket, Key: key }));
      return out.Body as Readable;
    },

    /** Every key under `prefix` (all pages). */
    async list(prefix: string): Promise<string[]> {
      const s = await s3();
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(
          new s.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },

    async delete(key: string): Promise<void> {
      const s = await s3();
      await client.send(new s.DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },

    /** The bucket's region (GetBucketLocation answers null or '' for us-east-1). */
    async region(): Promise<string> {
      const s = await s3();
      const out = await client.send(new s.GetBucketLocationCommand({ Bucket: bucket }));
      const c = out.LocationConstraint as string | undefined;
      return !c ? 'us-east-1' : c === 'EU' ? 'eu-west-1' : c;
    },

    /**
     * Keeps the bucket's other lifecycle rules and sets ours (by id): expire objects under `prefix`
     * after `days`, and abort multipart uploads left incomplete (a killed backup) after one day.
     * Returns false when the endpoint does not implement lifecycle rules.
     */
    async setRetention(ruleId: string, prefix: string, days: number): Promise<boolean> {
      const s = await s3();
      let rules: import('@aws-sdk/client-s3').LifecycleRule[] = [];
      try {
        const out = await client.send(new s.GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
        rules = (out.Rules ?? []).filter((r) => r.ID !== ruleId);
      } catch (error) {
        if (isNotImplemented(error)) return false;
        if (!isNoLifecycle(error)) throw error;
      }
      try {
        await client.send(
          new s.PutBucketLifecycleConfigurationCommand({
            Bucket: bucket,
            LifecycleConfiguration: {
              Rules: [
                ...rules,
                {
                  ID: ruleId,
                  Status: 'Enabled',
                  Filter: { Prefix: prefix },
                  Expiration: { Days: days },
                  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
                },
              ],
            },
          }),
        );
      } catch (error) {
        if (isNotImplemented(error)) return false;
        throw error;
      }
      return true;
    },
  };
}

export type BackupStore = ReturnType<typeof backupStore>;

const nameOf = (error: unknown) => (error as { name?: string; Code?: string })?.name ?? '';
const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

export function isNotFound(error: unknown): boolean {
  return nameOf(error) === 'NoSuchKey' || nameOf(error) === 'NotFound' || statusOf(error) === 404;
}
function isNoLifecycle(error: unknown): boolean {
  return nameOf(error) === 'NoSuchLifecycleConfiguration';
}
function isNotImplemented(error: unknown): boolean {
  return nameOf(error) === 'NotImplemented' || statusOf(error) === 501;
}
export function isAccessDenied(error: unknown): boolean {
  return (
    nameOf(error) === 'AccessDenied' ||
    nameOf(error) === 'KMS.AccessDeniedException' ||
    statusOf(error) === 403
  );
}
