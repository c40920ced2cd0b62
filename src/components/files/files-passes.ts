import { pipeline, type Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client as PgClient } from 'pg';
import { EngifyError, isTransient } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { withRetry } from '../../core/retry.js';
import type { StepContext } from '../../core/step.js';
import type { ComponentPass, PassSummary } from '../../core/sync-contracts.js';
import { HashingStream } from '../../providers/s3/hashing-stream.js';
import { decodeUserMetadata, META } from '../../providers/s3/object-metadata.js';
import { type CopyResult, S3ObjectWriter } from '../../providers/s3/objects.js';
import {
  createStorageSource,
  type StorageObject,
  type StorageSource,
} from '../../providers/supabase/storage/index.js';
import { StorageHttpError } from '../../providers/supabase/storage/storage-http.js';
import { StorageWriter } from '../../providers/supabase/storage/storage-writer.js';
import { selectBuckets } from './files-copy.js';
import {
  type CarriedRecord,
  existingNames,
  type ListedS3Object,
  listTarget,
  normaliseEtag,
  Pool,
  readCarried,
  readWatermark,
  rememberCarried,
  saveWatermark,
  updatedObjects,
} from './files-pass-state.js';

// Incremental passes of the files component (see files-pass-state.ts for what they remember).
//
// Forward (Supabase Storage -> S3, while the flag is `source`): objects updated since the watermark are
// copied with files.copy's writer, which skips what is identical (marker + size + source ETag). The
// change detection is the cheapest the mode allows: in db mode a storage.objects query on updated_at,
// elsewhere the listing's lastModified. Deletions: target keys under <prefix><bucket>/ whose object is
// gone from Storage are deleted only when they carry this project's x-amz-meta-engify-copied-by.
//
// Reverse (S3 -> Supabase Storage, while the flag is `target`, and as rollback's drain): target objects
// not carrying the marker, or carrying it with content that no longer matches its stored SHA-256, are
// uploaded through the Storage API with content type, cache control and custom metadata kept. What was
// uploaded is journaled (carried:<key>), so neither direction echoes the other's writes. S3 deletions of
// objects that came from Storage are NOT carried back: they are reported in `refused`. Only an object the
// reverse pass itself put on Storage (and still unchanged there) is deleted when it is deleted on S3.

interface Opened {
  source: StorageSource;
  writer: S3ObjectWriter;
  /** Same writer allowed to overwrite: used only on keys the reverse pass carried and S3 still holds unchanged. */
  forced: S3ObjectWriter;
  client: S3Client;
  targetBucket: string;
  concurrency: number;
  pageSize: number;
}

const REFUSED_MAX = 100;

function newSummary(): PassSummary & { more: number } {
  return { applied: 0, deleted: 0, unchanged: 0, refused: [], more: 0 };
}

function refuse(summary: PassSummary & { more: number }, key: string, reason: string): void {
  if (summary.refused.length < REFUSED_MAX) summary.refused.push({ key, reason });
  else summary.more++;
}

function finish(summary: PassSummary & { more: number }): PassSummary {
  const { more, ...rest } = summary;
  if (more > 0) rest.refused.push({ key: '…', reason: messages.files.refusedMore(more) });
  return rest;
}

async function open(ctx: StepContext, passId: string): Promise<Opened> {
  const s3 = ctx.config.target.s3;
  if (!s3)
    throw new EngifyError({
      code: 'FILES_NO_TARGET',
      kind: 'config',
      message: messages.config.needsSection('target.s3', passId),
    });
  const client = await ctx.services.s3();
  const options = {
    client,
    bucket: s3.bucket,
    prefix: s3.prefix,
    project: ctx.config.project,
    partSizeBytes: s3.partSizeMiB * 1024 * 1024,
    partQueue: s3.partQueue,
    attempts: ctx.config.target.aws.maxAttempts,
  };
  return {
    source: createStorageSource(ctx.config, ctx.services),
    writer: new S3ObjectWriter({ ...options, force: false }),
    forced: new S3ObjectWriter({ ...options, force: true }),
    client,
    targetBucket: s3.bucket,
    concurrency: s3.concurrency,
    pageSize: ctx.config.source.supabase?.storage?.pageSize ?? 500,
  };
}

async function s3Etag(client: S3Client, bucket: string, key: string, signal?: AbortSignal) {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), {
      abortSignal: signal,
    });
    return normaliseEtag(out.ETag);
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404)
      return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------- forward

export const filesForwardPass: ComponentPass = async (ctx) => {
  const f = await open(ctx, 'sync.files');
  const supabase = ctx.config.source.supabase;
  const summary = newSummary();
  let pg: PgClient | undefined;
  try {
    const buckets = selectBuckets(await f.source.listBuckets(), supabase?.buckets);
    if (f.source.mode === 'db' && supabase?.dbUrl) pg = await ctx.services.pg(supabase.dbUrl);
    const carried = readCarried(ctx);
    await eachBucket(ctx, buckets, summary, messages.files.forwardPassDone, (name) =>
      forwardBucket(ctx, f, pg, name, carried, summary),
    );
  } finally {
    await pg?.end().catch(() => undefined);
    await f.source.close();
  }
  return finish(summary);
};

async function forwardBucket(
  ctx: StepContext,
  f: Opened,
  pg: PgClient | undefined,
  bucket: string,
  carried: Map<string, CarriedRecord>,
  summary: PassSummary & { more: number },
): Promise<void> {
  const since = readWatermark(ctx, 'forward', bucket);
  const pool = new Pool(f.concurrency);
  let copyRefusals = 0;

  const copyOne = async (object: StorageObject) => {
    const key = f.writer.keyOf(object);
    const mine = carried.get(key);
    // The reverse pass put exactly this on Storage from S3: nothing to send back.
    if (mine?.storageEtag !== undefined && mine.storageEtag === normaliseEtag(object.etag)) {
      summary.unchanged++;
      return;
    }
    const openBody = (signal?: AbortSignal) => f.source.openObject(object, signal);
    let result: CopyResult = await f.writer.copy(object, openBody, ctx.signal);
    if (result.status === 'conflict' && mine) {
      // S3 holds the app's object the reverse pass carried; Storage changed since (after a rollback).
      // Overwrite only when S3 still holds what was carried, else both sides changed.
      const current = await withRetry(() => s3Etag(f.client, f.targetBucket, key, ctx.signal), {
        signal: ctx.signal,
      });
      if (current !== undefined && current === mine.s3Etag) {
        result = await f.forced.copy(object, openBody, ctx.signal);
        if (result.status === 'copied') {
          rememberCarried(ctx, key, null);
          carried.delete(key);
        }
      } else {
        copyRefusals++;
        refuse(summary, key, messages.files.passBothChanged);
        return;
      }
    }
    if (result.status === 'copied') {
      summary.applied++;
      if (result.note) ctx.log(messages.files.droppedMetadata(result.key, result.note));
    } else if (result.status === 'conflict') {
      copyRefusals++;
      refuse(summary, key, messages.files.passForeignObject);
    } else summary.unchanged++; // skipped, or gone since listed (the deletion scan below sees it)
  };

  // Candidates: what changed since the watermark.
  let next: Date | undefined;
  let names: Set<string> | undefined;
  if (pg) {
    const { rows } = await pg.query<{ now: Date }>('SELECT now() AS now');
    next = rows[0]?.now;
    for await (const page of updatedObjects(pg, bucket, since, f.pageSize)) {
      for (const object of page) await pool.run(() => copyOne(object));
    }
  } else {
    // FIXME: without a database the deletion check needs every source name in memory (O(objects)).
    names = new Set();
    let newest = since ? since.getTime() : 0;
    for await (const batch of f.source.listObjects(bucket, { signal: ctx.signal })) {
      for (const object of batch.items) {
        names.add(object.name);
        const modified = object.lastModified ? Date.parse(object.lastModified) : Number.NaN;
        if (!Number.isNaN(modified)) newest = Math.max(newest, modified);
        if (since && !Number.isNaN(modified) && modified <= since.getTime()) {
          summary.unchanged++;
          continue;
        }
        await pool.run(() => copyOne(object));
      }
    }
    next = newest > 0 ? new Date(newest) : undefined;
  }
  await pool.drain();

  // Deletions: target objects under this bucket's prefix that Storage no longer has.
  const prefix = f.writer.keyOf({ bucket, name: '' });
  for await (const page of listTarget(f.client, f.targetBucket, prefix, ctx.signal)) {
    const pageNames = page.map((o) => o.key.slice(prefix.length));
    const present = pg ? await existingNames(pg, bucket, pageNames) : (names as Set<string>);
    for (const { key } of page) {
      if (present.has(key.slice(prefix.length))) continue;
      await pool.run(async () => {
        const head = await f.writer.head(key, ctx.signal);
        if (!head) return;
        if (head.metadata[META.copiedBy] === ctx.config.project) {
          await f.writer.delete(key, ctx.signal);
          summary.deleted++;
        } else refuse(summary, key, messages.files.passForeignNotDeleted);
      });
    }
  }
  await pool.drain();
  // A refused copy keeps the watermark where it was, so it is reported (and retried) until resolved.
  if (next && copyRefusals === 0) saveWatermark(ctx, 'forward', bucket, next);
}

// ---------------------------------------------------------------------------------------- reverse

export const filesReversePass: ComponentPass = async (ctx) => {
  const supabase = ctx.config.source.supabase;
  for (const [field, value] of [
    ['source.supabase.apiUrl', supabase?.apiUrl],
    ['source.supabase.serviceRoleKey', supabase?.serviceRoleKey],
  ] as const) {
    if (!value)
      throw new EngifyError({
        code: 'FILES_REVERSE_CONFIG',
        kind: 'config',
        message: messages.files.reverseNeedsApi(field),
        hint: messages.files.reverseNeedsApiHint,
      });
  }
  const storage = new StorageWriter({
    apiUrl: supabase?.apiUrl as string,
    serviceKey: supabase?.serviceRoleKey as string,
    timeoutMs: ctx.config.target.aws.requestTimeoutMs,
  });
  const f = await open(ctx, 'sync.files');
  const summary = newSummary();
  try {
    const buckets = selectBuckets(await f.source.listBuckets(), supabase?.buckets);
    const carried = readCarried(ctx);
    await eachBucket(ctx, buckets, summary, messages.files.reversePassDone, (name) =>
      reverseBucket(ctx, f, storage, name, carried, summary),
    );
  } finally {
    await f.source.close();
  }
  return finish(summary);
};

const retryableCarry = (e: unknown) =>
  e instanceof StorageHttpError
    ? e.transient
    : isTransient(e) ||
      (e as { name?: string })?.name === 'TypeError' ||
      ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET'].includes(
        String(
          (e as { code?: string; cause?: { code?: string } })?.code ??
            (e as { cause?: { code?: string } })?.cause?.code,
        ),
      );

/** The app's own S3 user metadata as Storage custom metadata: ours decoded, our bookkeeping keys left out. */
function customMetadata(metadata: Record<string, string>): Record<string, unknown> | undefined {
  try {
    const decoded = decodeUserMetadata(metadata);
    if (decoded) return decoded;
  } catch {
    // not our encoding after all: fall through to the raw values
  }
  const ours = new Set<string>(Object.values(META));
  const rest = Object.entries(metadata).filter(([k]) => !ours.has(k.toLowerCase()));
  return rest.length > 0 ? Object.fromEntries(rest) : undefined;
}

async function reverseBucket(
  ctx: StepContext,
  f: Opened,
  storage: StorageWriter,
  bucket: string,
  carried: Map<string, CarriedRecord>,
  summary: PassSummary & { more: number },
): Promise<void> {
  const since = readWatermark(ctx, 'reverse', bucket);
  const startedAt = new Date();
  const prefix = f.writer.keyOf({ bucket, name: '' });
  const pool = new Pool(f.concurrency);
  let carryRefusals = 0;
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');

  const carry = async (object: ListedS3Object) => {
    const name = object.key.slice(prefix.length);
    try {
      await withRetry(
        async () => {
          const out = await f.client.send(new GetObjectCommand({ Bucket: f.targetBucket, Key: object.key }), {
            abortSignal: ctx.signal,
          });
          const hasher = new HashingStream({ highWaterMark: 1024 * 1024 });
          let readError: unknown;
          pipeline(out.Body as Readable, hasher, (error) => {
            if (error) readError = error;
          });
          try {
            await storage.upload(
              {
                bucket,
                name,
                body: hasher,
                contentType: out.ContentType ?? 'application/octet-stream',
                cacheControl: out.CacheControl,
                userMetadata: customMetadata(out.Metadata ?? {}),
              },
              ctx.signal,
            );
          } catch (error) {
            throw readError ?? error;
          }
          if (readError) throw readError;
          const record: CarriedRecord = {
            sha256: hasher.digest(),
            size: hasher.bytes,
            s3Etag: normaliseEtag(out.ETag) ?? object.etag,
            storageEtag: await storage.etag(bucket, name, ctx.signal),
          };
          rememberCarried(ctx, object.key, record);
          carried.set(object.key, record);
        },
        { signal: ctx.signal, attempts: ctx.config.target.aws.maxAttempts, retryable: retryableCarry },
      );
      summary.applied++;
      ctx.log(messages.files.reverseCarried(object.key));
    } catch (error) {
      if (error instanceof StorageHttpError && !error.transient) {
        carryRefusals++;
        refuse(summary, object.key, messages.files.reverseRefused(error.status, error.message));
        return;
      }
      throw error;
    }
  };

  const examine = async (object: ListedS3Object) => {
    const head = await f.writer.head(object.key, ctx.signal);
    if (!head) return; // deleted since listed: the deletion scan below decides
    if (head.metadata[META.copiedBy] === ctx.config.project) {
      // Written by the forward copy. The first reverse pass (at cutover) trusts the marker; later ones
      // re-hash marked objects modified since, in case the app rewrote one keeping our metadata.
      if (!since) {
        summary.unchanged++;
        return;
      }
      const stored = await f.writer.hashStored(object.key, ctx.signal);
      if (!stored || stored.stored === stored.sha256) {
        summary.unchanged++;
        return;
      }
    }
    await carry(object);
  };

  // FIXME: the deletion check holds every target key of the bucket in memory (O(objects)).
  const onTarget = new Set<string>();
  for await (const page of listTarget(f.client, f.targetBucket, prefix, ctx.signal)) {
    for (const object of page) {
      onTarget.add(object.key);
      const mine = carried.get(object.key);
      if (mine && mine.s3Etag === object.etag) {
        summary.unchanged++;
        continue;
      }
      if (!mine && since && object.lastModified.getTime() <= since.getTime()) {
        summary.unchanged++;
        continue;
      }
      await pool.run(() => examine(object));
    }
  }
  await pool.drain();

  // Deleted on S3 since: kept on Storage and reported, unless the reverse pass itself put it there.
  for await (const batch of f.source.listObjects(bucket, { signal: ctx.signal })) {
    for (const object of batch.items) {
      const key = f.writer.keyOf(object);
      if (onTarget.has(key)) continue;
      const mine = carried.get(key);
      if (mine?.storageEtag !== undefined && mine.storageEtag === normaliseEtag(object.etag)) {
        await pool.run(async () => {
          // Re-check: the app may have written the key again since the listing.
          if ((await s3Etag(f.client, f.targetBucket, key, ctx.signal)) !== undefined) return;
          await storage.delete(bucket, object.name, ctx.signal);
          rememberCarried(ctx, key, null);
          carried.delete(key);
          summary.deleted++;
        });
        continue;
      }
      refuse(summary, key, messages.files.reverseNotDeleted);
    }
  }
  await pool.drain();
  if (carryRefusals === 0) saveWatermark(ctx, 'reverse', bucket, startedAt);
}

/** Runs one pass over each bucket and logs what that bucket contributed to the running summary. */
async function eachBucket(
  ctx: StepContext,
  buckets: { name: string }[],
  summary: PassSummary,
  done: (bucket: string, applied: number, deleted: number, unchanged: number, refused: number) => string,
  run: (bucket: string) => Promise<void>,
): Promise<void> {
  for (const { name } of buckets) {
    const before = { ...summary, refused: summary.refused.length };
    await run(name);
    ctx.log(
      done(
        name,
        summary.applied - before.applied,
        summary.deleted - before.deleted,
        summary.unchanged - before.unchanged,
        summary.refused.length - before.refused,
      ),
    );
  }
}
