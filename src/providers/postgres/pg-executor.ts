import pg, { type Client } from 'pg';
import type { Json } from '../../core/contracts.js';
import { withRetry } from '../../core/retry.js';
import { isTypedSqlValue, type SqlExecutor, type SqlParam, type SqlResult } from '../../core/sql-executor.js';

// SqlExecutor over one direct `pg` connection (rds.mode "pg", and the source side of introspection).
// A dropped connection is reopened and the statement retried only outside a transaction: inside one,
// the server has already rolled the transaction back and only the caller can decide to redo it.

const CONNECTION_LOST = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P03',
  '08006',
  '08001',
  '08003',
]);

const toJson = (value: unknown): Json => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  return String(value);
};

// Date and time types come back in PostgreSQL's own text form, as the Data API returns them. pg's
// default parsers turn them into a JS Date: microseconds are cut to milliseconds, and `date` and
// `timestamp` (no zone) are read as the Node process's local time, so the value shifts with TZ.
const pgTypes = pg.types;
const TEXT_FORM_OIDS = new Set([
  1082, // date
  1083, // time
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
  1266, // timetz
]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    TEXT_FORM_OIDS.has(oid)
      ? (value: string) => value
      : pgTypes.getTypeParser(oid, format ?? 'text')) as typeof pgTypes.getTypeParser,
};

const plain = (params: SqlParam[] | undefined): unknown[] | undefined =>
  params?.map((p) => (isTypedSqlValue(p) ? p.value : p instanceof Uint8Array ? Buffer.from(p) : p));

export interface PgExecutorOptions {
  /** Opens a new connection; used to reconnect after the server dropped the previous one. */
  connect: () => Promise<Client>;
  /** COPY available (true for a direct connection). */
  copy?: boolean;
  attempts?: number;
}

export async function createPgExecutor(
  options: PgExecutorOptions,
): Promise<SqlExecutor & { client(): Client }> {
  let client = await options.connect();
  let broken = false;
  const watch = (c: Client) =>
    c.on('error', () => {
      broken = true;
    });
  watch(client);
  const capabilities = { copy: options.copy ?? true, structuredValues: true };

  const run = async (c: Client, sql: string, params?: SqlParam[]): Promise<SqlResult> => {
    const result = await c.query({ text: sql, values: plain(params), types });
    return {
      rows: (result.rows ?? []).map((r: Record<string, unknown>) => toJson(r) as Record<string, Json>),
      rowCount: result.rowCount ?? 0,
    };
  };
  const lost = (e: unknown) => {
    const code = (e as { code?: unknown }).code;
    return (
      broken ||
      (typeof code === 'string' && CONNECTION_LOST.has(code)) ||
      /Connection terminated/.test(String(e))
    );
  };
  const reconnecting = <T>(fn: (c: Client) => Promise<T>): Promise<T> =>
    withRetry(
      async () => {
        if (broken) {
          await client.end().catch(() => undefined);
          client = await options.connect();
          broken = false;
          watch(client);
        }
        try {
          return await fn(client);
        } catch (error) {
          if (lost(error)) broken = true;
          throw error;
        }
      },
      { attempts: options.attempts ?? 4, retryable: lost },
    );

  const bound = (c: Client): Omit<SqlExecutor, 'transaction' | 'close'> => ({
    capabilities,
    query: (sql, params) => run(c, sql, params),
    batch: async (sql, sets) => {
      for (const params of sets) await run(c, sql, params);
    },
  });

  return {
    capabilities,
    client: () => client,
    query: (sql, params) => reconnecting((c) => run(c, sql, params)),
    batch: (sql, sets) =>
      reconnecting(async (c) => {
        // One round trip per set, but one transaction for all of them: a batch is all or nothing.
        await c.query('BEGIN');
        try {
          for (const params of sets) await run(c, sql, params);
          await c.query('COMMIT');
        } catch (error) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    transaction: async (work) => {
      await reconnecting((c) => c.query('BEGIN'));
      const c = client;
      try {
        const result = await work(bound(c));
        await c.query('COMMIT');
        return result;
      } catch (error) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    close: () => client.end().catch(() => undefined),
  };
}
