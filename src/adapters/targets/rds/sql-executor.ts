import type { Json } from '../../types.js';

// The target database as the db steps see it, whichever way it is reached: a direct `pg` connection
// or the RDS Data API. Steps that need COPY check `capabilities.copy` and fall back to batched
// parameterised INSERTs through `batch` (the only bulk path the Data API offers).

export type SqlValue = null | boolean | number | string | Uint8Array;

export interface SqlResult {
  rows: Record<string, Json>[];
  rowCount: number;
}

export interface SqlExecutor {
  readonly capabilities: {
    /** COPY FROM STDIN is available (pg mode). */
    copy: boolean;
    /** Largest request in bytes (Data API: 4 MiB), or undefined for no limit. */
    maxRequestBytes?: number;
  };
  query(sql: string, params?: SqlValue[]): Promise<SqlResult>;
  /** One statement, many parameter sets, in one round trip where the transport allows it. */
  batch(sql: string, parameterSets: SqlValue[][]): Promise<void>;
  /** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: Omit<SqlExecutor, 'transaction' | 'close'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
