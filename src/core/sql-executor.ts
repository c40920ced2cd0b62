import type { Json } from './contracts.js';

// The target database as the db steps see it, whichever way it is reached: a direct `pg` connection
// or the RDS Data API. Steps that need COPY check `capabilities.copy` and fall back to batched
// parameterised INSERTs through `batch` (the only bulk path the Data API offers).
// Placeholders are PostgreSQL's `$1, $2, ...` in both modes; the Data API executor renames them.

export type SqlValue = null | boolean | number | string | Uint8Array;

/** Data API type hints: a string parameter the server should read as this type. pg mode ignores them. */
export type SqlTypeHint = 'UUID' | 'JSON' | 'TIMESTAMP' | 'DECIMAL' | 'DATE' | 'TIME';

export interface TypedSqlValue {
  value: SqlValue;
  typeHint: SqlTypeHint;
}

/** A parameter: a plain value, or a value with a type hint (for the Data API). */
export type SqlParam = SqlValue | TypedSqlValue;

export interface SqlResult {
  rows: Record<string, Json>[];
  rowCount: number;
}

export interface SqlExecutor {
  readonly capabilities: {
    /** COPY FROM STDIN is available (pg mode). */
    copy: boolean;
    /**
     * How json/jsonb, arrays and bytea come back when not cast to text. true (pg): json parsed, arrays
     * as arrays, bytea as `\\x` hex. false (the Data API's JSON records): json and arrays in PostgreSQL's
     * text form, bytea base64. Every other type (numbers, longs and decimals as strings, booleans, text,
     * uuid, date/time in PostgreSQL's text form) comes back the same either way; cast to text where it matters.
     */
    structuredValues: boolean;
    /** Largest request in bytes (Data API: 4 MiB), or undefined for no limit. */
    maxRequestBytes?: number;
    /** Largest response in bytes (Data API: 1 MiB): page reads below it. Undefined: no limit. */
    maxResponseBytes?: number;
  };
  query(sql: string, params?: SqlParam[]): Promise<SqlResult>;
  /** One statement, many parameter sets, in one round trip where the transport allows it. */
  batch(sql: string, parameterSets: SqlParam[][]): Promise<void>;
  /** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: Omit<SqlExecutor, 'transaction' | 'close'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const isTypedSqlValue = (p: SqlParam): p is TypedSqlValue =>
  typeof p === 'object' && p !== null && !(p instanceof Uint8Array) && 'typeHint' in p;

/**
 * The SQLSTATE of a failed statement, whichever transport ran it: pg errors carry it as `code`; the Data
 * API puts it in the message ("... SQLState: 42P07").
 */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; sqlState?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.sqlState === 'string') return e.sqlState;
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  if (typeof e.message === 'string') {
    const m = /SQLState:\s*([0-9A-Z]{5})/.exec(e.message);
    if (m) return m[1];
  }
  return e.cause ? sqlStateOf(e.cause) : undefined;
}
