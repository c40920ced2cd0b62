import type { Readable } from 'node:stream';
import type { Batch, Capabilities } from '../../../core/contracts.js';

/** One file as listed by a Supabase Storage source; only non-secret, JSON-safe fields. */
export interface StorageObject {
  bucket: string;
  /** The object name inside its bucket ("folder/file.png"), exactly as Supabase stores it. */
  name: string;
  size: number;
  contentType?: string;
  cacheControl?: string;
  /** The provider's content tag (MD5 for single-part objects); compared on reruns to skip unchanged objects. */
  etag?: string;
  lastModified?: string;
  ownerId?: string;
  /** Custom metadata set by the app at upload (storage.objects.user_metadata). */
  userMetadata?: Record<string, unknown>;
}

export interface StorageBucket {
  name: string;
  /** Undefined when the mode cannot tell (S3-compatible endpoint without API access). */
  public?: boolean;
}

/** An opened body plus what only a read reveals (the S3-compatible listing has no content type). */
export interface OpenedObject {
  body: Readable;
  contentType?: string;
  cacheControl?: string;
  size?: number;
  metadata?: Record<string, string>;
}

export type StorageMode = 'db' | 'api' | 's3';

export interface StorageSource {
  readonly mode: StorageMode;
  readonly capabilities: Capabilities;
  /**
   * True when listObjects({after}) returns exactly the objects listed after `after` in a previous run
   * (a stable total order the source itself compares in). False for the Storage API's folder walk,
   * whose order is the server's: a resume then re-lists everything and relies on the target skipping
   * identical objects, rather than risk skipping one never sent.
   */
  readonly resumesAfterName: boolean;
  listBuckets(): Promise<StorageBucket[]>;
  /** Batches of one bucket's objects; cursor = {bucket, last} (the last name in the batch). */
  listObjects(
    bucket: string,
    options?: { after?: string; signal?: AbortSignal },
  ): AsyncIterable<Batch<StorageObject>>;
  /** Streams a body; undefined when the object is gone (deleted since it was listed). Retries 5xx itself. */
  openObject(object: StorageObject, signal?: AbortSignal): Promise<OpenedObject | undefined>;
  close(): Promise<void>;
}

/** UTF-8 byte order, the order of S3 listings and of Postgres `COLLATE "C"`. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
