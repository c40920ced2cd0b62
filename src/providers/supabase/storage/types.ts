import type { Batch, Capabilities } from '../../../core/contracts.js';
import type { OpenedObject, StorageObject } from '../../../core/stored-object.js';

export type { OpenedObject, StorageObject };

export interface StorageBucket {
  name: string;
  /** Undefined when the mode cannot tell (S3-compatible endpoint without API access). */
  public?: boolean;
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
