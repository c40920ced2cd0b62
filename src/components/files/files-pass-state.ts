import type { S3Client } from '@aws-sdk/client-s3';
import type { Client as PgClient } from 'pg';
import type { Json } from '../../core/contracts.js';
import type { StepContext } from '../../core/step.js';
import type { StorageObject } from '../../providers/supabase/storage/index.js';
import { objectRowPages } from '../../providers/supabase/storage/object-rows.js';

// What the files passes remember between runs (the marks of scope sync.files, beside the journal) and
// the listings they need beyond the storage source's own.
//
// Marks:
//   forward:watermark:<bucket>  ISO time: Storage objects updated before it (minus MARGIN_MS) were seen
//   reverse:watermark:<bucket>  ISO time: S3 objects last modified before it (minus MARGIN_MS) were seen
//   carried:<s3 key>            CarriedRecord of what the reverse pass uploaded to Storage (deleted once
//                               it no longer applies: overwritten by a forward copy, or deleted)
// The carried records are how the two directions tell their own writes apart without touching the
// app's custom metadata on Storage: an object whose Storage ETag is the one the reverse pass got back
// is not new to the forward pass, and an S3 object whose ETag is the one the reverse pass read is not
// new to the reverse pass. A rollback of files.copy clears them all.

/** Re-examined window behind a watermark: covers transactions that commit late and clock skew. */
export const MARGIN_MS = 120_000;

export interface CarriedRecord {
  sha256: string;
  size: number;
  /** ETag of the S3 object that was read (unquoted). */
  s3Etag: string;
  /** ETag Storage reported for the uploaded object (unquoted), if it reported one. */
  storageEtag?: string;
}

const CARRIED = 'carried:';

/** The scope of the passes' marks (the engine runs a component's passes as sync.<component>). */
export const FILES_SYNC_STEP = 'sync.files';

const marksOf = (ctx: Pick<StepContext, 'marks'>) => ctx.marks(FILES_SYNC_STEP);

function asCarried(value: Json | undefined): CarriedRecord | undefined {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value))
    return undefined;
  const record = value as unknown as CarriedRecord;
  return typeof record.sha256 === 'string' && typeof record.size === 'number' ? record : undefined;
}

export function readCarried(ctx: Pick<StepContext, 'marks'>): Map<string, CarriedRecord> {
  const carried = new Map<string, CarriedRecord>();
  for (const [key, value] of marksOf(ctx).entries()) {
    const record = key.startsWith(CARRIED) ? asCarried(value) : undefined;
    if (record) carried.set(key.slice(CARRIED.length), record);
  }
  return carried;
}

/** What the reverse pass carried to Storage for one S3 key (files.copy's verify asks, object by object). */
export function carriedOf(ctx: Pick<StepContext, 'marks'>, key: string): CarriedRecord | undefined {
  return asCarried(marksOf(ctx).get(`${CARRIED}${key}`));
}

export function rememberCarried(
  ctx: Pick<StepContext, 'marks'>,
  key: string,
  record: CarriedRecord | null,
): void {
  marksOf(ctx).set(`${CARRIED}${key}`, record as unknown as Json);
}

export function readWatermark(
  ctx: Pick<StepContext, 'marks'>,
  direction: 'forward' | 'reverse',
  bucket: string,
): Date | undefined {
  const value = marksOf(ctx).get(`${direction}:watermark:${bucket}`);
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at - MARGIN_MS);
}

export function saveWatermark(
  ctx: Pick<StepContext, 'marks'>,
  direction: 'forward' | 'reverse',
  bucket: string,
  at: Date,
): void {
  marksOf(ctx).set(`${direction}:watermark:${bucket}`, at.toISOString());
}

export const normaliseEtag = (etag: string | undefined) => etag?.replace(/^W\//, '').replace(/"/g, '');

/**
 * db mode: storage.objects rows of one bucket updated after `since` (all when undefined), keyset-paged
 * by name. Same listing and row mapping as the db storage source.
 */
export function updatedObjects(
  client: PgClient,
  bucket: string,
  since: Date | undefined,
  pageSize: number,
): AsyncGenerator<StorageObject[]> {
  return objectRowPages(client, bucket, { since, pageSize });
}

/** db mode: which of `names` still have a row in storage.objects (one query per page of names). */
export async function existingNames(client: PgClient, bucket: string, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { rows } = await client.query<{ name: string }>(
    'SELECT name FROM storage.objects WHERE bucket_id = $1 AND name = ANY($2::text[])',
    [bucket, names],
  );
  return new Set(rows.map((r) => r.name));
}

export interface ListedS3Object {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

/** Target objects under a prefix with ETag and LastModified (what the change detection needs), in pages. */
export async function* listTarget(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): AsyncGenerator<ListedS3Object[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  let token: string | undefined;
  do {
    const out = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 }),
      { abortSignal: signal },
    );
    yield (out.Contents ?? []).map((o) => ({
      key: o.Key ?? '',
      size: Number(o.Size ?? 0),
      etag: normaliseEtag(o.ETag) ?? '',
      lastModified: o.LastModified ?? new Date(0),
    }));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
}

/** Runs jobs with at most `limit` in flight; the first failure is rethrown once the others settle. */
export class Pool {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  constructor(private readonly limit: number) {}
  async run(job: () => Promise<void>): Promise<void> {
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const p = job().catch((error: unknown) => {
      this.failure ??= error;
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }
}
