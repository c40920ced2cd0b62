// Contracts between the engine/steps and the systems we read from (sources) and write to (targets).
// Steps (src/plans/steps) are where a source meets a target; adapters never know about phases.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Opaque, JSON-serialisable resume position. Only the adapter that produced it interprets it. */
export type Cursor = Json;

/** What an adapter can do; the engine branches on these, never on an adapter's name. */
export interface Capabilities {
  /** Can read only what changed since a cursor/watermark. */
  incremental: boolean;
  /** Can be written back to (reverse sync after cutover). */
  reversible: boolean;
  /** Offers a bulk path handled by the provider (DMS, bulk import, import jobs). */
  bulk: boolean;
}

/** A durable unit of data movement: after `items` are written, `cursor` is journaled. */
export interface Batch<T> {
  items: T[];
  cursor: Cursor;
}

/** Anything that streams batches and can resume after a cursor. Memory stays bounded by one batch. */
export interface BatchSource<T> {
  readonly capabilities: Capabilities;
  read(options: { after?: Cursor; signal?: AbortSignal }): AsyncIterable<Batch<T>>;
}

/** Writes are upserts keyed by the source key, so replaying a batch after a crash duplicates nothing. */
export interface BatchTarget<T> {
  readonly capabilities: Capabilities;
  write(items: T[], options?: { signal?: AbortSignal }): Promise<WriteResult>;
}

export interface WriteResult {
  written: number;
  /** Items refused individually (oversized, invalid) with a reason; a refused item never fails the batch. */
  rejected: { key: string; reason: string }[];
}

/** Something that exists (or not) on a live system, as observed by refresh. */
export interface ObservedResource {
  kind: string;
  name: string;
  exists: boolean;
  /** Provider id (ARN, pool id, ...), when it exists. */
  id?: string;
  /** Non-secret settings as observed; compared against the desired settings by steps. */
  settings?: Record<string, Json>;
}

/** A resource handle we created and must be able to delete on rollback. */
export interface CreatedResource {
  kind: string;
  name: string;
  id?: string;
}

/** Managed infrastructure on a target (phase 1): observe, create, delete only what we created. */
export interface ResourceManager<Desired> {
  observe(desired: Desired): Promise<ObservedResource>;
  create(desired: Desired): Promise<CreatedResource>;
  /** Bring an existing resource's settings in line with the desired ones (idempotent). */
  update?(desired: Desired, observed: ObservedResource): Promise<void>;
  delete(resource: CreatedResource): Promise<void>;
  /** Settings that differ between desired and observed, as human-readable lines. Empty: in step. */
  diff(desired: Desired, observed: ObservedResource): string[];
}
