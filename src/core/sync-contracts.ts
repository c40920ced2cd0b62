// The shapes shared by change capture (logical decoding, trigger capture), the applier and the
// `sync`/`status`/`cutover` commands.

/** A table as `schema.name`, both unquoted. */
export interface TableName {
  schema: string;
  name: string;
}

/**
 * Row values. 'text' rows carry each column in PostgreSQL's text output form (logical decoding),
 * `undefined` meaning "unchanged TOASTed value, keep the target's"; 'json' rows are `to_jsonb(row)`
 * objects (trigger capture), turned back into typed rows on the target by jsonb_populate_record.
 */
export type RowValues = Record<string, unknown>;
export type RowEncoding = 'text' | 'json';

export type RowChange =
  | { op: 'insert'; table: TableName; row: RowValues }
  | { op: 'update'; table: TableName; row: RowValues; old?: RowValues }
  | { op: 'delete'; table: TableName; old: RowValues }
  | { op: 'truncate'; tables: TableName[]; cascade: boolean };

export type SyncDirection = 'forward' | 'reverse';
export type CaptureMode = 'logical' | 'trigger';

export interface Lag {
  /** Seconds between the source commit of the oldest change not yet applied and now; 0 when caught up. */
  seconds: number;
  /** Source WAL bytes not yet confirmed by the applier (logical), or changelog rows pending (trigger). */
  changes: number;
  unit: 'bytes' | 'rows';
  /** Source commit time of the last applied transaction, if any. */
  lastAppliedCommitTime?: string;
  /** Position last committed on the applying side (LSN or trigger-capture position). */
  appliedPosition?: string;
}

export interface SyncStats {
  stream: string;
  direction: SyncDirection;
  mode: CaptureMode;
  state: 'starting' | 'running' | 'reconnecting' | 'stopped' | 'failed';
  transactionsApplied: number;
  changesApplied: number;
  targetCommits: number;
  transactionsSkipped: number;
  reconnects: number;
  startedAt: string;
  /** Changes applied per second over the last few seconds. */
  changesPerSecond: number;
  lastError?: { code: string; message: string; at: string };
}

export interface SyncHandle {
  /** Finishes the current target transaction, acknowledges the source, closes connections. */
  stop(): Promise<void>;
  lag(): Promise<Lag>;
  stats(): SyncStats;
  /** Resolves when everything committed on the source up to `untilPosition` (default: now) is applied. */
  drain(options?: { untilPosition?: string; timeoutMs?: number }): Promise<void>;
  /** Resolves when sync stops for good: cleanly (undefined) or on a non-retryable error. */
  done: Promise<Error | undefined>;
  onError(listener: (error: Error) => void): void;
}

export interface BatchLimits {
  /** Most row changes in one target transaction. */
  maxChanges: number;
  /** Longest a target transaction stays open before it is committed, in ms. */
  maxDelayMs: number;
}

/**
 * One incremental pass of a component without a change stream (auth, files, vectors): forward before
 * cutover (old -> AWS), reverse after (AWS -> old). Passes are idempotent: a pass that finds both sides
 * equal applies nothing. `sync` runs them every `sync.pollSeconds`; cutover and rollback run one last
 * pass as their drain.
 */
export interface PassSummary {
  applied: number;
  deleted: number;
  unchanged: number;
  /** Items that could not be carried, with the reason (reported, never silently dropped). */
  refused: { key: string; reason: string }[];
}

export type ComponentPass = (ctx: import('./step.js').StepContext) => Promise<PassSummary>;
