import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import type { Json } from '../../core/contracts.js';
import { EngifyError, isTransient } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { withRetry } from '../../core/retry.js';
import { isTypedSqlValue, type SqlExecutor, type SqlParam, type SqlResult } from '../../core/sql-executor.js';

// SqlExecutor over the RDS Data API (rds.mode "data-api"). Limits from the Data API documentation:
// a request body of at most 4 MiB and a response of at most 1 MiB. Batches are split to stay under the
// request limit; a read over the response limit fails with a hint to page it (the caller knows the key).
// Results come back as formatted JSON, with longs and decimals as strings (exact, like pg's int8/numeric).

export const DATA_API_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const DATA_API_MAX_RESPONSE_BYTES = 1024 * 1024;
/** Headroom for the envelope (ARNs, SQL, JSON punctuation) when packing parameter sets. */
const ENVELOPE_BYTES = 64 * 1024;
/** Parameter sets per BatchExecuteStatement call, whatever their size. */
const MAX_SETS_PER_BATCH = 1000;

export interface DataApiTarget {
  resourceArn: string;
  secretArn: string;
  database?: string;
}

export interface DataApiExecutorOptions {
  maxRequestBytes?: number;
  attempts?: number;
  signal?: AbortSignal;
}

const RETRYABLE = new Set([
  'DatabaseResumingException',
  'DatabaseUnavailableException',
  'ServiceUnavailableError',
  'InternalServerErrorException',
]);
const transient = (e: unknown) => isTransient(e) || RETRYABLE.has((e as { name?: string }).name ?? '');

/** Rewrites `$1` placeholders into the Data API's named `:p1`, leaving quoted text and comments alone. */
export function toNamedPlaceholders(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    const rest = sql.slice(i);
    const skip = (end: number) => {
      out += sql.slice(i, end);
      i = end;
    };
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      skip(j + 1);
    } else if (rest.startsWith('--')) {
      const j = sql.indexOf('\n', i);
      skip(j === -1 ? sql.length : j);
    } else if (rest.startsWith('/*')) {
      const j = sql.indexOf('*/', i + 2);
      skip(j === -1 ? sql.length : j + 2);
    } else if (ch === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
      const num = /^\$(\d+)/.exec(rest);
      if (tag) {
        const j = sql.indexOf(tag[0], i + tag[0].length);
        skip(j === -1 ? sql.length : j + tag[0].length);
      } else if (num) {
        out += `:p${num[1]}`;
        i += num[0].length;
      } else skip(i + 1);
    } else skip(i + 1);
  }
  return out;
}

export function toSqlParameters(params: SqlParam[] | undefined): SqlParameter[] | undefined {
  if (!params || params.length === 0) return undefined;
  return params.map((p, index): SqlParameter => {
    const name = `p${index + 1}`;
    const typeHint = isTypedSqlValue(p) ? p.typeHint : undefined;
    const v = isTypedSqlValue(p) ? p.value : p;
    const hint = typeHint ? { typeHint } : {};
    if (v === null) return { name, value: { isNull: true }, ...hint };
    if (typeof v === 'boolean') return { name, value: { booleanValue: v }, ...hint };
    if (typeof v === 'number')
      return Number.isInteger(v)
        ? { name, value: { longValue: v }, ...hint }
        : { name, value: { doubleValue: v }, ...hint };
    if (typeof v === 'string') return { name, value: { stringValue: v }, ...hint };
    return { name, value: { blobValue: v }, ...hint };
  });
}

/** Approximate wire size of a parameter set (JSON; blobs travel base64-encoded). */
const parameterSetBytes = (set: SqlParameter[]): number => {
  let n = 2;
  for (const p of set) {
    const v = p.value;
    n += 48 + (p.typeHint?.length ?? 0);
    if (v?.stringValue !== undefined) n += Buffer.byteLength(v.stringValue) + v.stringValue.length / 8;
    else if (v?.blobValue !== undefined) n += Math.ceil(v.blobValue.length / 3) * 4;
    else n += 24;
  }
  return n;
};

const wrap = (error: unknown, sql: string): Error => {
  const name = (error as { name?: string }).name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (/response size limit|more than the allowed response size/i.test(message)) {
    return new EngifyError({
      code: 'RDS_DATA_API_RESPONSE_TOO_LARGE',
      kind: 'system',
      message: messages.db.dataApiResponseTooLarge(sql.slice(0, 80)),
      hint: messages.db.dataApiResponseTooLargeHint,
      cause: error,
    });
  }
  if (name === 'DatabaseErrorException' || name === 'BadRequestException') {
    // Keep the SQLSTATE reachable (sqlStateOf) and the server's text, as pg errors do.
    const e = new Error(message, { cause: error }) as Error & { sqlState?: string };
    e.name = name;
    const m = /SQLState:\s*([0-9A-Z]{5})/.exec(message);
    if (m) e.sqlState = m[1];
    return e;
  }
  return error instanceof Error ? error : new Error(message);
};

const parseRecords = (formatted: string | undefined): Record<string, Json>[] =>
  formatted ? (JSON.parse(formatted) as Record<string, Json>[]) : [];

export function createDataApiExecutor(
  client: RDSDataClient,
  target: DataApiTarget,
  options: DataApiExecutorOptions = {},
): SqlExecutor {
  const maxRequestBytes = options.maxRequestBytes ?? DATA_API_MAX_REQUEST_BYTES;
  const capabilities = {
    copy: false,
    structuredValues: false,
    maxRequestBytes,
    maxResponseBytes: DATA_API_MAX_RESPONSE_BYTES,
  };
  const base = {
    resourceArn: target.resourceArn,
    secretArn: target.secretArn,
    ...(target.database ? { database: target.database } : {}),
  };
  const send = <T>(fn: () => Promise<T>, inTransaction: boolean, sql: string): Promise<T> =>
    (inTransaction
      ? fn()
      : withRetry(fn, { attempts: options.attempts ?? 4, retryable: transient, signal: options.signal })
    ).catch((e: unknown) => {
      throw wrap(e, sql);
    });

  const query = async (
    sql: string,
    params: SqlParam[] | undefined,
    transactionId?: string,
  ): Promise<SqlResult> => {
    const hasParams = params !== undefined && params.length > 0;
    const input = {
      ...base,
      sql: hasParams ? toNamedPlaceholders(sql) : sql,
      parameters: toSqlParameters(params),
      ...(transactionId ? { transactionId } : {}),
      formatRecordsAs: 'JSON' as const,
      resultSetOptions: { decimalReturnType: 'STRING' as const, longReturnType: 'STRING' as const },
    };
    const size = Buffer.byteLength(sql) + parameterSetBytes(input.parameters ?? []) + 1024;
    if (size > maxRequestBytes) {
      throw new EngifyError({
        code: 'RDS_DATA_API_REQUEST_TOO_LARGE',
        kind: 'system',
        message: messages.db.dataApiRequestTooLarge(size, maxRequestBytes),
        hint: messages.db.dataApiRequestTooLargeHint,
      });
    }
    const out = await send(
      () => client.send(new ExecuteStatementCommand(input), { abortSignal: options.signal }),
      transactionId !== undefined,
      sql,
    );
    const rows = parseRecords(out.formattedRecords);
    return {
      rows,
      rowCount: out.formattedRecords !== undefined ? rows.length : (out.numberOfRecordsUpdated ?? 0),
    };
  };

  const batch = async (
    sql: string,
    parameterSets: ReadonlyArray<SqlParam[]>,
    transactionId?: string,
  ): Promise<void> => {
    if (parameterSets.length === 0) return;
    const named = toNamedPlaceholders(sql);
    const budget = maxRequestBytes - ENVELOPE_BYTES - Buffer.byteLength(named);
    let chunk: SqlParameter[][] = [];
    let bytes = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      const sets = chunk;
      chunk = [];
      bytes = 0;
      await send(
        () =>
          client.send(
            new BatchExecuteStatementCommand({
              ...base,
              sql: named,
              parameterSets: sets,
              ...(transactionId ? { transactionId } : {}),
            }),
            { abortSignal: options.signal },
          ),
        transactionId !== undefined,
        sql,
      );
    };
    for (const params of parameterSets) {
      const set = toSqlParameters(params) ?? [];
      const size = parameterSetBytes(set);
      if (size > budget) {
        throw new EngifyError({
          code: 'RDS_DATA_API_REQUEST_TOO_LARGE',
          kind: 'system',
          message: messages.db.dataApiRequestTooLarge(size, maxRequestBytes),
          hint: messages.db.dataApiRequestTooLargeHint,
        });
      }
      if (bytes + size > budget || chunk.length >= MAX_SETS_PER_BATCH) await flush();
      chunk.push(set);
      bytes += size;
    }
    await flush();
  };

  return {
    capabilities,
    query: (sql, params) => query(sql, params),
    batch: (sql, sets) => batch(sql, sets),
    transaction: async (work) => {
      const begun = await send(
        () => client.send(new BeginTransactionCommand(base), { abortSignal: options.signal }),
        false,
        'BEGIN',
      );
      const transactionId = begun.transactionId as string;
      try {
        const result = await work({
          capabilities,
          query: (sql, params) => query(sql, params, transactionId),
          batch: (sql, sets) => batch(sql, sets, transactionId),
        });
        await send(
          () => client.send(new CommitTransactionCommand({ ...base, transactionId })),
          true,
          'COMMIT',
        );
        return result;
      } catch (error) {
        await client.send(new RollbackTransactionCommand({ ...base, transactionId })).catch(() => undefined);
        throw error;
      }
    },
    close: async () => undefined,
  };
}
