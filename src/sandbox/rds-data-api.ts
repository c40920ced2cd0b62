import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// A stand-in for the RDS Data API over a real PostgreSQL, serving the service's REST-JSON routes
// (POST /Execute, /BatchExecute, /BeginTransaction, /CommitTransaction, /RollbackTransaction) with the
// request and response shapes of the AWS API reference, and the documented limits: a request body of
// at most 4 MiB, a response of at most 1 MiB, 64 KB per result row, transactions that expire after
// 3 minutes without a call. Errors carry the service's exception names (x-amzn-ErrorType).
// FIXME: arrays in results come back as stringValue (PostgreSQL's text form), not arrayValue.

export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const MAX_RESPONSE_BYTES = 1024 * 1024;
export const MAX_ROW_BYTES = 64 * 1024;
const TRANSACTION_IDLE_MS = 3 * 60 * 1000;

export interface DataApiCluster {
  resourceArn: string;
  secretArn: string;
  /** PostgreSQL URL the cluster stands for; its database is the default when a call names none. */
  url: string;
}

export interface RdsDataApiStandIn extends RunningStandIn {
  /** Open transactions (for tests asserting nothing is left open). */
  openTransactions(): number;
}

type Field =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number }
  | { stringValue: string }
  | { blobValue: string };

interface SqlParameter {
  name?: string;
  value?: Partial<{
    isNull: boolean;
    booleanValue: boolean;
    longValue: number;
    doubleValue: number;
    stringValue: string;
    blobValue: string;
  }>;
  typeHint?: string;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const CASTS: Record<string, string> = {
  UUID: 'uuid',
  JSON: 'json',
  TIMESTAMP: 'timestamp',
  DECIMAL: 'numeric',
  DATE: 'date',
  TIME: 'time',
};

/** `:name` placeholders to `$n`, outside quotes, comments and dollar-quoted bodies; `::` casts stay. */
function toPositional(sql: string, parameters: SqlParameter[]): { text: string; values: unknown[] } {
  const index = new Map<string, number>();
  const values: unknown[] = [];
  for (const p of parameters) {
    if (!p.name) throw new ApiError('BadRequestException', 400, 'Parameter name is required');
    const v = p.value ?? {};
    let value: unknown;
    if (v.isNull) value = null;
    else if (v.booleanValue !== undefined) value = v.booleanValue;
    else if (v.longValue !== undefined) value = v.longValue;
    else if (v.doubleValue !== undefined) value = v.doubleValue;
    else if (v.stringValue !== undefined) value = v.stringValue;
    else if (v.blobValue !== undefined) value = Buffer.from(v.blobValue, 'base64');
    else throw new ApiError('BadRequestException', 400, `Parameter ${p.name} has no value`);
    values.push(value);
    index.set(p.name, values.length);
  }
  const hints = new Map(parameters.map((p) => [p.name, p.typeHint]));
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const rest = sql.slice(i);
    const ch = sql[i] as string;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === ch && sql[j + 1] !== ch)) j += sql[j] === ch ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (rest.startsWith('--')) {
      const j = sql.indexOf('\n', i);
      const end = j === -1 ? sql.length : j;
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '$' && /^\$([A-Za-z_]\w*)?\$/.test(rest)) {
      const tag = (/^\$([A-Za-z_]\w*)?\$/.exec(rest) as RegExpExecArray)[0];
      const j = sql.indexOf(tag, i + tag.length);
      const end = j === -1 ? sql.length : j + tag.length;
      out += sql.slice(i, end);
      i = end;
    } else if (rest.startsWith('::')) {
      out += '::';
      i += 2;
    } else if (ch === ':' && /^:[A-Za-z_]\w*/.test(rest)) {
      const name = (/^:([A-Za-z_]\w*)/.exec(rest) as RegExpExecArray)[1] as string;
      const n = index.get(name);
      if (n === undefined)
        throw new ApiError('BadRequestException', 400, `No value specified for parameter: ${name}`);
      const hint = hints.get(name);
      out += hint && CASTS[hint] ? `$${n}::${CASTS[hint]}` : `$${n}`;
      i += name.length + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return { text: out, values };
}

const raw = { getTypeParser: () => (value: string) => value };

interface Transaction {
  client: pg.PoolClient;
  lastUsed: number;
  resourceArn: string;
}

export async function startRdsDataApi(options: { clusters: DataApiCluster[] }): Promise<RdsDataApiStandIn> {
  const pools = new Map<string, pg.Pool>();
  const transactions = new Map<string, Transaction>();

  const poolFor = (cluster: DataApiCluster, database: string | undefined): pg.Pool => {
    const url = new URL(cluster.url);
    if (database) url.pathname = `/${encodeURIComponent(database)}`;
    const key = url.toString();
    let pool = pools.get(key);
    if (!pool) {
      pool = new pg.Pool({ connectionString: key, max: 4, types: raw, idleTimeoutMillis: 5000 });
      pool.on('error', () => undefined);
      pools.set(key, pool);
    }
    return pool;
  };

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, t] of transactions) {
      if (now - t.lastUsed > TRANSACTION_IDLE_MS) {
        transactions.delete(id);
        t.client.query('ROLLBACK').finally(() => t.client.release());
      }
    }
  }, 10_000);
  sweep.unref();

  const clusterOf = (body: Record<string, unknown>): DataApiCluster => {
    const { resourceArn, secretArn } = body;
    if (typeof resourceArn !== 'string' || typeof secretArn !== 'string') {
      throw new ApiError('BadRequestException', 400, 'resourceArn and secretArn are required');
    }
    const cluster = options.clusters.find((c) => c.resourceArn === resourceArn);
    if (!cluster)
      throw new ApiError(
        'BadRequestException',
        400,
        `HttpEndpoint is not enabled for resource ${resourceArn}`,
      );
    if (cluster.secretArn !== secretArn)
      throw new ApiError('ForbiddenException', 403, `Access denied to secret ${secretArn}`);
    return cluster;
  };

  const transactionOf = (id: unknown, cluster: DataApiCluster): Transaction => {
    const t = typeof id === 'string' ? transactions.get(id) : undefined;
    if (!t || t.resourceArn !== cluster.resourceArn)
      throw new ApiError('TransactionNotFoundException', 404, `Transaction ${String(id)} is not found`);
    t.lastUsed = Date.now();
    return t;
  };

  const dbError = (error: unknown): ApiError => {
    if (error instanceof ApiError) return error;
    const e = error as { message?: string; code?: string };
    return new ApiError(
      'DatabaseErrorException',
      400,
      `ERROR: ${e.message ?? String(error)}; SQLState: ${e.code ?? 'XX000'}`,
    );
  };

  const withClient = async <T>(
    cluster: DataApiCluster,
    body: Record<string, unknown>,
    work: (c: pg.ClientBase) => Promise<T>,
  ): Promise<T> => {
    if (body.transactionId !== undefined) return work(transactionOf(body.transactionId, cluster).client);
    let client: pg.PoolClient;
    try {
      client = await poolFor(cluster, body.database as string | undefined).connect();
    } catch (error) {
      throw dbError(error);
    }
    try {
      return await work(client);
    } finally {
      client.release();
    }
  };

  const typeNames = async (c: pg.ClientBase, oids: number[]): Promise<Map<number, string>> => {
    const r = await c.query<{ oid: string; typname: string }>(
      'SELECT oid::text, typname FROM pg_catalog.pg_type WHERE oid = ANY ($1::oid[])',
      [oids],
    );
    return new Map(r.rows.map((x) => [Number(x.oid), x.typname]));
  };

  const execute = async (body: Record<string, unknown>): Promise<unknown> => {
    const cluster = clusterOf(body);
    if (typeof body.sql !== 'string') throw new ApiError('BadRequestException', 400, 'sql is required');
    const { text, values } = toPositional(body.sql, (body.parameters as SqlParameter[] | undefined) ?? []);
    const options =
      (body.resultSetOptions as { decimalReturnType?: string; longReturnType?: string } | undefined) ?? {};
    return withClient(cluster, body, async (c) => {
      let result: pg.QueryResult;
      try {
        result = await c.query({ text, values, rowMode: 'array', types: raw });
      } catch (error) {
        throw dbError(error);
      }
      const fields = result.fields ?? [];
      const response: Record<string, unknown> = {
        numberOfRecordsUpdated: result.command === 'SELECT' ? 0 : (result.rowCount ?? 0),
      };
      if (fields.length > 0) {
        const rows = result.rows as (string | null)[][];
        const typed = rows.map((row) => row.map((v, i) => field(v, fields[i]?.dataTypeID ?? 25, options)));
        for (const row of typed) {
          if (Buffer.byteLength(JSON.stringify(row)) > MAX_ROW_BYTES) {
            throw new ApiError(
              'BadRequestException',
              400,
              'Packet for query is too large. Max packet size is 64 KB per row',
            );
          }
        }
        if (body.formatRecordsAs === 'JSON') {
          response.formattedRecords = JSON.stringify(
            typed.map((row) =>
              Object.fromEntries(row.map((f, i) => [fields[i]?.name ?? `col${i}`, jsonValue(f)])),
            ),
          );
        } else {
          response.records = typed;
        }
        if (body.includeResultMetadata === true) {
          const names = await typeNames(c, [...new Set(fields.map((f) => f.dataTypeID))]);
          response.columnMetadata = fields.map((f) => ({
            name: f.name,
            label: f.name,
            typeName: names.get(f.dataTypeID) ?? 'unknown',
            type: 0,
          }));
        }
      }
      return response;
    });
  };

  const batchExecute = async (body: Record<string, unknown>): Promise<unknown> => {
    const cluster = clusterOf(body);
    if (typeof body.sql !== 'string') throw new ApiError('BadRequestException', 400, 'sql is required');
    const sets = (body.parameterSets as SqlParameter[][] | undefined) ?? [];
    const inTransaction = body.transactionId !== undefined;
    return withClient(cluster, body, async (c) => {
      // Outside a transaction the whole batch is applied atomically.
      if (!inTransaction) await c.query('BEGIN');
      try {
        const updateResults: unknown[] = [];
        for (const set of sets) {
          const { text, values } = toPositional(body.sql as string, set);
          try {
            await c.query({ text, values, types: raw });
          } catch (error) {
            throw dbError(error);
          }
          updateResults.push({ generatedFields: [] });
        }
        if (!inTransaction) await c.query('COMMIT');
        return { updateResults };
      } catch (error) {
        if (!inTransaction) await c.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  };

  const begin = async (body: Record<string, unknown>): Promise<unknown> => {
    const cluster = clusterOf(body);
    let client: pg.PoolClient;
    try {
      client = await poolFor(cluster, body.database as string | undefined).connect();
      await client.query('BEGIN');
    } catch (error) {
      throw dbError(error);
    }
    const transactionId = randomUUID();
    transactions.set(transactionId, { client, lastUsed: Date.now(), resourceArn: cluster.resourceArn });
    return { transactionId };
  };

  const finish = async (body: Record<string, unknown>, commit: boolean): Promise<unknown> => {
    const cluster = clusterOf(body);
    const t = transactionOf(body.transactionId, cluster);
    transactions.delete(body.transactionId as string);
    try {
      await t.client.query(commit ? 'COMMIT' : 'ROLLBACK');
    } catch (error) {
      throw dbError(error);
    } finally {
      t.client.release();
    }
    return { transactionStatus: commit ? 'Transaction Committed' : 'Rollback Complete' };
  };

  const routes: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    '/Execute': execute,
    '/BatchExecute': batchExecute,
    '/BeginTransaction': begin,
    '/CommitTransaction': (b) => finish(b, true),
    '/RollbackTransaction': (b) => finish(b, false),
  };

  const handler = async (request: RecordedRequest): Promise<StandInReply> => {
    const fail = (e: ApiError): StandInReply => ({
      status: e.status,
      headers: { 'x-amzn-errortype': e.type },
      body: { message: e.message, code: e.type },
    });
    const route = routes[request.path];
    if (request.method !== 'POST' || !route)
      return fail(new ApiError('NotFoundException', 404, `No route ${request.method} ${request.path}`));
    if (Buffer.byteLength(request.body) > MAX_REQUEST_BYTES) {
      return fail(
        new ApiError(
          'BadRequestException',
          400,
          `Request body is larger than the ${MAX_REQUEST_BYTES}-byte limit`,
        ),
      );
    }
    try {
      const body = JSON.parse(request.body || '{}') as Record<string, unknown>;
      const response = await route(body);
      if (Buffer.byteLength(JSON.stringify(response)) > MAX_RESPONSE_BYTES) {
        throw new ApiError(
          'BadRequestException',
          400,
          'Database returned more than the allowed response size limit',
        );
      }
      return { status: 200, body: response };
    } catch (error) {
      if (error instanceof ApiError) return fail(error);
      return fail(
        new ApiError('BadRequestException', 400, error instanceof Error ? error.message : String(error)),
      );
    }
  };

  const server = await startStandIn(handler);
  return {
    ...server,
    openTransactions: () => transactions.size,
    close: async () => {
      clearInterval(sweep);
      for (const t of transactions.values()) {
        await t.client.query('ROLLBACK').catch(() => undefined);
        t.client.release();
      }
      transactions.clear();
      await server.close();
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => undefined)));
    },
  };
}

function field(
  value: string | null,
  oid: number,
  options: { decimalReturnType?: string; longReturnType?: string },
): Field {
  if (value === null) return { isNull: true };
  switch (oid) {
    case 16:
      return { booleanValue: value === 't' };
    case 20:
      return options.longReturnType === 'STRING' ? { stringValue: value } : { longValue: Number(value) };
    case 21:
    case 23:
    case 26:
      return { longValue: Number(value) };
    case 700:
    case 701:
      return { doubleValue: Number(value) };
    case 1700:
      return options.decimalReturnType === 'DOUBLE_OR_LONG'
        ? { doubleValue: Number(value) }
        : { stringValue: value };
    case 17:
      return { blobValue: Buffer.from(value.slice(2), 'hex').toString('base64') };
    default:
      return { stringValue: value };
  }
}

function jsonValue(f: Field): unknown {
  if ('isNull' in f) return null;
  if ('booleanValue' in f) return f.booleanValue;
  if ('longValue' in f) return f.longValue;
  if ('doubleValue' in f) return f.doubleValue;
  if ('blobValue' in f) return f.blobValue;
  return f.stringValue;
}
