import type { Readable } from 'node:stream';
import type { Client } from 'pg';
import type { SequenceValue, TableInfo } from '../../providers/postgres/catalog.js';
import type { RangeChecksum } from '../../providers/postgres/checksum.js';
import type { CopyFormat } from '../../providers/postgres/copy-out.js';
import type { KeyRange, SplitOptions } from '../../providers/postgres/ranges.js';
import type { SchemaModel } from '../../providers/postgres/schema-model.js';
import type { SlotState } from '../../providers/postgres/snapshot.js';
import type { TranslationNote } from './schema/statements.js';
import type { TranslateOptions } from './schema/translate.js';

// The database a migration reads, as one object in the shape of Kysely's Dialect: what kind of source it
// is, and the operations the db steps need from it. The steps (db.schema, db.copy, its verify, sync and
// the cutover) call these and never a provider's source-side module or a "which source is this" flag:
// a source that is not PostgreSQL (SQLite) implements the same operations, and a step that needs what a
// dialect cannot give (change capture) reads it from `capture` and refuses with the dialect's own message.
//
// Every table and type a dialect hands out is already in the target's terms (PostgreSQL types, schema
// names as the target will have them): the translation of a non-PostgreSQL source happens in introspect()
// and in the values its readers produce, so the rest of the pipeline is the same for every source.

/** How changes made on the source after the copy reach the target. */
export type CaptureKind =
  /** PostgreSQL logical decoding (a slot and a publication), or triggers when no slot can be had. */
  | 'logical'
  /** None: sync is refused (or a rescan), and cutover needs the app to stop writing first. */
  | 'none';

/** The platform's own parts of a source that the translation leaves out or serves by a shim. */
export interface SourceInternals {
  /** Schemas the platform runs for itself (never copied as application schemas). */
  schemas: readonly string[];
  /** Roles of the platform's services (grants to them are dropped). */
  roles: readonly string[];
  /** auth.uid()/auth.users references are served by the target's auth shim. */
  authShim: boolean;
}

/** One reading session inside a consistent read: splits tables and reads their key ranges. */
export interface RangeReader {
  split(table: TableInfo, options: SplitOptions): Promise<KeyRange[]>;
  /** The rows of a range as framed CopyData messages (copy-relay.ts) in `format`, for the COPY loader. */
  copyOut(table: TableInfo, range: KeyRange, format: CopyFormat): Readable;
  /** The rows of a range as text values, `batchRows` at a time (the INSERT path). */
  rows(table: TableInfo, range: KeyRange, batchRows: number): AsyncGenerator<(string | null)[][]>;
  close(): Promise<void>;
}

/** A consistent view of the source that any number of readers can share. */
export interface ConsistentRead {
  /** Snapshot name (PostgreSQL) or any token naming this read. */
  id: string;
  /** Source position the read corresponds to (a WAL LSN; a file's change counter). */
  lsn: string;
  /** The logical slot created together with the read, when one was. */
  slot?: string;
  reader(): Promise<RangeReader>;
  release(): Promise<void>;
}

/** Control of the source's change capture (PostgreSQL: the logical slot and the publication). */
export interface LogicalCapture {
  slotState(slot: string): Promise<SlotState>;
  dropSlot(slot: string): Promise<void>;
  ensurePublication(name: string, tables: TableInfo[]): Promise<'created' | 'updated'>;
  dropPublication(name: string): Promise<void>;
}

/** A session on the source outside any snapshot: catalog, sizes, sequences, checksums. */
export interface SourceSession {
  /** Tables of `schemas` with their columns (target types), keys and size estimates. */
  tables(schemas: string[]): Promise<TableInfo[]>;
  /** Bytes of the source's indexes (the target rebuilds them after the load). */
  indexBytes(schemas: string[]): Promise<number>;
  /** Sequence positions (SQLite: the key counters the target's identities must pass). */
  sequences(schemas: string[]): Promise<SequenceValue[]>;
  /** Count and order-independent hash of a range's normalised rows (the same value the target computes). */
  checksum(table: TableInfo, range: KeyRange): Promise<RangeChecksum>;
  /** Present when the source has change capture. */
  capture?: LogicalCapture;
  /** The PostgreSQL connection, for PostgreSQL-family sources (catalog-based post-load, the auth shim). */
  pg?: Client;
  close(): Promise<void>;
}

export interface SourceDialect {
  /** 'postgres' | 'supabase' | 'sqlite': for messages and plan details, never branched on by a step. */
  readonly kind: string;
  /** Config paths of where the source is and of its schema list, for messages that name them. */
  readonly fields: { location: string; schemas: string };
  /** The schemas read (SQLite: its one database, as the target schema "public"). */
  readonly schemas: string[];
  readonly internals: SourceInternals;
  readonly capture: CaptureKind;
  /** COPY formats its readers can produce ('binary' only when the dialect encodes it). */
  readonly copyFormats: readonly CopyFormat[];
  /** The options the schema translation runs with for this source. */
  translateOptions(): TranslateOptions;
  /** The source's schema in the existing model, types already PostgreSQL's. */
  introspect(): Promise<SchemaModel>;
  /** What the dialect's own mapping decided (type rules, objects left out), shown in the plan. */
  translationNotes?(): Promise<TranslationNote[]>;
  /** A session outside any snapshot. */
  open(): Promise<SourceSession>;
  /** A consistent read; with `slot`, a logical slot is created at the same point (capture 'logical'). */
  consistentRead(options?: { slot?: string }): Promise<ConsistentRead>;
  /** The PostgreSQL connection behind this source (PostgreSQL-family dialects only: sync, cutover). */
  pgUrl?: string;
}
