import { Agent, createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BulkOperations, createBulkOperations } from './dynamodb-bulk-operations.js';

// An HTTP front for dynalite that adds what dynalite lacks, from the DynamoDB API reference and the
// AWS SDK's own types (VectorIndex, VectorIndexDescription, SearchVectorsInput/Output):
// - `VectorIndexes` on CreateTable and `VectorIndexUpdates` on UpdateTable (stripped before forwarding,
//   remembered, and described back in DescribeTable/CreateTable/UpdateTable responses);
// - `SearchVectors`: an exact k-NN over the table's items (COSINE: 1 - cosine, ascending; EUCLIDEAN:
//   distance, ascending; DOT_PRODUCT: dot product, descending), the vector attribute being a list of
//   numbers read as float32, with a SearchConditionExpression of equalities on search-schema attributes;
// - the bulk operations (StartBulkPutItems, DescribeBulkOperation, ListBulkOperations,
//   CancelBulkOperation), reading staged objects from the S3 endpoint given in `s3` (dynamodb-bulk-operations.ts);
// - fault injection for tests: throttling errors and UnprocessedItems on BatchWriteItem (dynalite never
//   returns them).
// Every other request is forwarded untouched by its X-Amz-Target. Requests are recorded.

type AttributeValue = {
  S?: string;
  N?: string;
  B?: string;
  L?: AttributeValue[];
  M?: Record<string, AttributeValue>;
  NULL?: boolean;
  BOOL?: boolean;
  SS?: string[];
  NS?: string[];
};
type Item = Record<string, AttributeValue>;

interface VectorIndexDef {
  IndexName: string;
  VectorAttribute: { AttributeName: string };
  Dimensions: number;
  DistanceFunction: 'COSINE' | 'EUCLIDEAN' | 'DOT_PRODUCT';
  SearchSchema?: { AttributeName: string; SearchSchemaElementType: 'HASH' | 'INLINE_FILTER' }[];
  Projection: { ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
}

interface TableMeta {
  indexes: VectorIndexDef[];
  keys: string[];
  arn?: string;
}

export interface FrontRequest {
  op: string;
  table?: string;
  /** Items in a BatchWriteItem. */
  items?: number;
  fault?: 'throttled' | 'unprocessed';
}

export interface DynamoDbVectorFront {
  url: string;
  /** dynalite's own URL (for a raw comparison that skips the front). */
  upstream: string;
  requests: FrontRequest[];
  /** Resolves when the front next receives a request of `op` (tests act on it instead of sleeping). */
  nextRequest(op: string): Promise<FrontRequest>;
  faults: {
    /** The next `count` requests of `op` answer ThrottlingException (HTTP 400). */
    throttle(op: string, count: number): void;
    /** The next `count` BatchWriteItem calls write only the first half of each table's items. */
    unprocessed(count: number): void;
  };
  /** Bulk operations: count started, hold/release them IN_PROGRESS, wait until none runs. */
  bulk: Pick<BulkOperations, 'started' | 'hold' | 'release' | 'idle'>;
  /** Vector indexes the front holds for a table (what DescribeTable reports). */
  vectorIndexes(table: string): VectorIndexDef[];
  stop(): Promise<void>;
}

const PREFIX = 'DynamoDB_20120810.';
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
const DISTANCES = new Set(['COSINE', 'EUCLIDEAN', 'DOT_PRODUCT']);

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startDynamoDbVectorFront(
  options: {
    upstream?: string;
    /** The S3 endpoint bulk operations read their input from (s3rver: path-style, its fixed credentials). */
    s3?: {
      endpoint: string;
      region?: string;
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };
  } = {},
): Promise<DynamoDbVectorFront> {
  let stopUpstream: (() => Promise<void>) | undefined;
  let upstream = options.upstream;
  if (!upstream) {
    const { default: dynalite } = await import('dynalite');
    const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stopUpstream = () => new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const tables = new Map<string, TableMeta>();
  const requests: FrontRequest[] = [];
  const awaiting: { op: string; resolve: (r: FrontRequest) => void }[] = [];
  const throttles = new Map<string, number>();
  let unprocessed = 0;

  const forward = (
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          method: 'POST',
          path: '/',
          agent,
          headers: { ...headers, host: target.host, 'content-length': String(body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const call = async (
    headers: IncomingHttpHeaders,
    op: string,
    input: unknown,
  ): Promise<Record<string, unknown>> => {
    const res = await forward(
      { ...headers, 'x-amz-target': PREFIX + op },
      Buffer.from(JSON.stringify(input)),
    );
    const json = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    if (res.status !== 200) {
      const type = String(json.__type ?? 'InternalServerError').replace(/^.*#/, '');
      throw new ApiError(type, String(json.message ?? json.Message ?? 'upstream error'), res.status);
    }
    return json;
  };

  let s3Client: import('@aws-sdk/client-s3').S3Client | undefined;
  if (options.s3) {
    const { S3Client } = await import('@aws-sdk/client-s3');
    s3Client = new S3Client({
      endpoint: options.s3.endpoint,
      region: options.s3.region ?? 'us-east-1',
      credentials: options.s3.credentials ?? { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }
  const bulk = createBulkOperations({
    call,
    fail: (type, message) => new ApiError(type, message),
    keysOf: async (headers, table) => (await tableMeta(headers, table)).keys,
    ...(s3Client ? { s3: s3Client } : {}),
  });

  const describeIndexes = (name: string, meta: TableMeta) =>
    meta.indexes.map((ix) => ({
      ...ix,
      IndexStatus: 'ACTIVE',
      Backfilling: false,
      IndexSizeBytes: 0,
      ItemCount: 0,
      IndexArn: `${meta.arn ?? `arn:aws:dynamodb:local:000000000000:table/${name}`}/vectorindex/${ix.IndexName}`,
    }));

  const patchDescription = (name: string, description: Record<string, unknown> | undefined) => {
    // dynalite adds TableThroughputModeSummary, a member DynamoDB's TableDescription does not have
    // (neither the API reference nor the SDK's type): drop it so the front answers only real shapes.
    if (description) delete description.TableThroughputModeSummary;
    const meta = tables.get(name);
    if (!description || !meta) return;
    if (typeof description.TableArn === 'string') meta.arn = description.TableArn;
    if (meta.indexes.length > 0) description.VectorIndexes = describeIndexes(name, meta);
  };

  const validateIndex = (ix: VectorIndexDef, existing: VectorIndexDef[]) => {
    if (!ix || typeof ix.IndexName !== 'string' || !/^[a-zA-Z0-9_.-]{3,255}$/.test(ix.IndexName)) {
      throw new ApiError(
        'ValidationException',
        'Vector index IndexName must be 3-255 characters of [a-zA-Z0-9_.-]',
      );
    }
    if (!ix.VectorAttribute?.AttributeName) {
      throw new ApiError(
        'ValidationException',
        `Vector index ${ix.IndexName}: VectorAttribute.AttributeName is required`,
      );
    }
    if (!Number.isInteger(ix.Dimensions) || ix.Dimensions < 1 || ix.Dimensions > 4096) {
      throw new ApiError(
        'ValidationException',
        `Vector index ${ix.IndexName}: Dimensions must be an integer from 1 to 4096`,
      );
    }
    if (!DISTANCES.has(ix.DistanceFunction)) {
      throw new ApiError(
        'ValidationException',
        `1 validation error detected: Value '${ix.DistanceFunction}' at 'vectorIndexes.member.distanceFunction' failed to satisfy constraint: Member must satisfy enum value set: [COSINE, DOT_PRODUCT, EUCLIDEAN]`,
      );
    }
    if (!ix.Projection)
      throw new ApiError('ValidationException', `Vector index ${ix.IndexName}: Projection is required`);
    if ((ix.SearchSchema ?? []).filter((e) => e.SearchSchemaElementType === 'HASH').length > 1) {
      throw new ApiError(
        'ValidationException',
        `Vector index ${ix.IndexName}: at most one HASH element in SearchSchema`,
      );
    }
    for (const other of existing) {
      if (other.IndexName === ix.IndexName) {
        throw new ApiError('ValidationException', `Vector index ${ix.IndexName} already exists`);
      }
      if (
        other.VectorAttribute.AttributeName === ix.VectorAttribute.AttributeName &&
        other.Dimensions !== ix.Dimensions
      ) {
        throw new ApiError(
          'ValidationException',
          `Vector indexes on attribute ${ix.VectorAttribute.AttributeName} must all use the same number of dimensions`,
        );
      }
    }
  };

  const keysOf = (schema: unknown): string[] =>
    Array.isArray(schema) ? schema.map((k) => String((k as { AttributeName: string }).AttributeName)) : [];

  const tableMeta = async (headers: IncomingHttpHeaders, name: string): Promise<TableMeta> => {
    let meta = tables.get(name);
    const described = (await call(headers, 'DescribeTable', { TableName: name })).Table as Record<
      string,
      unknown
    >;
    if (!meta) {
      meta = { indexes: [], keys: keysOf(described.KeySchema) };
      tables.set(name, meta);
    }
    if (meta.keys.length === 0) meta.keys = keysOf(described.KeySchema);
    return meta;
  };

  const searchVectors = async (headers: IncomingHttpHeaders, input: Record<string, unknown>) => {
    const name = String(input.TableName ?? '');
    const meta = await tableMeta(headers, name);
    const ix = meta.indexes.find((i) => i.IndexName === input.IndexName);
    if (!ix)
      throw new ApiError(
        'ValidationException',
        `The table does not have the specified vector index: ${String(input.IndexName)}`,
      );
    const topK = Number(input.TopK);
    if (!Number.isInteger(topK) || topK < 1)
      throw new ApiError('ValidationException', 'TopK must be a positive integer');
    const raw = input.SearchVector as AttributeValue[] | undefined;
    if (!Array.isArray(raw) || raw.some((v) => v.N === undefined)) {
      throw new ApiError('ValidationException', 'SearchVector must be a list of numbers');
    }
    if (raw.length !== ix.Dimensions) {
      throw new ApiError(
        'ValidationException',
        `SearchVector has ${raw.length} dimensions; the index has ${ix.Dimensions}`,
      );
    }
    const query = Float32Array.from(raw, (v) => Number(v.N));
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
    const conditions = parseCondition(String(input.SearchConditionExpression ?? ''), names, values);
    const schema = ix.SearchSchema ?? [];
    const hash = schema.find((e) => e.SearchSchemaElementType === 'HASH');
    for (const c of conditions) {
      if (!schema.some((e) => e.AttributeName === c.attribute)) {
        throw new ApiError(
          'ValidationException',
          `SearchConditionExpression: ${c.attribute} is not in the index's search schema`,
        );
      }
    }
    if (hash && !conditions.some((c) => c.attribute === hash.AttributeName)) {
      throw new ApiError(
        'ValidationException',
        `SearchConditionExpression must give the HASH attribute ${hash.AttributeName}`,
      );
    }
    const attr = ix.VectorAttribute.AttributeName;
    const best: { item: Item; score: number }[] = [];
    const better = (a: number, b: number) => (ix.DistanceFunction === 'DOT_PRODUCT' ? a > b : a < b);
    let start: unknown;
    do {
      const page = await call(headers, 'Scan', {
        TableName: name,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const item of (page.Items ?? []) as Item[]) {
        if (!conditions.every((c) => sameValue(item[c.attribute], c.value))) continue;
        const list = item[attr]?.L;
        if (!list || list.length !== ix.Dimensions || list.some((v) => v.N === undefined)) continue;
        const vector = Float32Array.from(list, (v) => Number(v.N));
        const s = distance(ix.DistanceFunction, query, vector);
        if (Number.isNaN(s)) continue;
        if (best.length < topK || better(s, best[best.length - 1]!.score)) {
          best.push({ item, score: s });
          best.sort((a, b) =>
            ix.DistanceFunction === 'DOT_PRODUCT' ? b.score - a.score : a.score - b.score,
          );
          if (best.length > topK) best.pop();
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    const project = (item: Item): Item => {
      const type = ix.Projection.ProjectionType ?? 'KEYS_ONLY';
      let keep: string[] | undefined;
      if (type === 'KEYS_ONLY') keep = [...meta.keys];
      if (type === 'INCLUDE') keep = [...meta.keys, ...(ix.Projection.NonKeyAttributes ?? [])];
      const wanted =
        typeof input.ProjectionExpression === 'string'
          ? input.ProjectionExpression.split(',').map((p) => names[p.trim()] ?? p.trim())
          : undefined;
      const out: Item = {};
      for (const [k, v] of Object.entries(item)) {
        if (keep && !keep.includes(k)) continue;
        if (wanted && !wanted.includes(k)) continue;
        out[k] = v;
      }
      return out;
    };
    return { SearchResults: best.map(({ item, score }) => ({ Item: project(item), Score: score })) };
  };

  const handle = async (
    op: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; body: Buffer; headers?: IncomingHttpHeaders }> => {
    const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    const recorded: FrontRequest = {
      op,
      ...(typeof input.TableName === 'string' ? { table: input.TableName } : {}),
    };
    if (op === 'BatchWriteItem') {
      const byTable = (input.RequestItems ?? {}) as Record<string, unknown[]>;
      recorded.items = Object.values(byTable).reduce((n, list) => n + list.length, 0);
      const first = Object.keys(byTable)[0];
      if (first !== undefined) recorded.table = first;
    }
    requests.push(recorded);
    for (const w of awaiting.filter((x) => x.op === op)) {
      awaiting.splice(awaiting.indexOf(w), 1);
      w.resolve(recorded);
    }
    const left = throttles.get(op) ?? 0;
    if (left > 0) {
      throttles.set(op, left - 1);
      recorded.fault = 'throttled';
      throw new ApiError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
    }
    const json = (value: unknown) => ({ status: 200, body: Buffer.from(JSON.stringify(value)) });

    switch (op) {
      case 'CreateTable': {
        const indexes = (input.VectorIndexes ?? []) as VectorIndexDef[];
        if (!Array.isArray(indexes))
          throw new ApiError('ValidationException', 'VectorIndexes must be a list');
        if (indexes.length > 0 && input.BillingMode !== 'PAY_PER_REQUEST') {
          throw new ApiError(
            'ValidationException',
            'Vector indexes are supported only on on-demand (PAY_PER_REQUEST) tables',
          );
        }
        const seen: VectorIndexDef[] = [];
        for (const ix of indexes) {
          validateIndex(ix, seen);
          seen.push(ix);
        }
        const { VectorIndexes: _drop, ...rest } = input;
        const result = await call(headers, 'CreateTable', rest);
        const name = String(input.TableName);
        tables.set(name, { indexes: seen, keys: keysOf(input.KeySchema) });
        patchDescription(name, result.TableDescription as Record<string, unknown>);
        return json(result);
      }
      case 'UpdateTable': {
        const updates = input.VectorIndexUpdates as
          | { Create?: VectorIndexDef; Delete?: { IndexName: string } }[]
          | undefined;
        if (!updates) break;
        if (!Array.isArray(updates) || updates.length !== 1) {
          throw new ApiError(
            'ValidationException',
            'You can add or remove one vector index for each UpdateTable operation',
          );
        }
        const name = String(input.TableName);
        const { VectorIndexUpdates: _drop, ...rest } = input;
        const others = Object.keys(rest).filter((k) => k !== 'TableName');
        const meta = await tableMeta(headers, name);
        const update = updates[0]!;
        if (update.Create) {
          const described = (await call(headers, 'DescribeTable', { TableName: name })).Table as Record<
            string,
            unknown
          >;
          const billing = (described.BillingModeSummary as { BillingMode?: string } | undefined)?.BillingMode;
          if (billing !== 'PAY_PER_REQUEST' && rest.BillingMode !== 'PAY_PER_REQUEST') {
            throw new ApiError(
              'ValidationException',
              'Vector indexes are supported only on on-demand (PAY_PER_REQUEST) tables',
            );
          }
          validateIndex(update.Create, meta.indexes);
        } else if (update.Delete) {
          if (!meta.indexes.some((i) => i.IndexName === update.Delete?.IndexName)) {
            throw new ApiError(
              'ResourceNotFoundException',
              `Vector index not found: ${update.Delete.IndexName}`,
            );
          }
        } else {
          throw new ApiError('ValidationException', 'A VectorIndexUpdate needs Create or Delete');
        }
        const result =
          others.length > 0
            ? await call(headers, 'UpdateTable', rest)
            : { TableDescription: (await call(headers, 'DescribeTable', { TableName: name })).Table };
        if (update.Create) meta.indexes.push(update.Create);
        else meta.indexes = meta.indexes.filter((i) => i.IndexName !== update.Delete?.IndexName);
        patchDescription(name, result.TableDescription as Record<string, unknown>);
        return json(result);
      }
      case 'DescribeTable': {
        const result = await call(headers, 'DescribeTable', input);
        const name = String(input.TableName);
        patchDescription(name, result.Table as Record<string, unknown>);
        return json(result);
      }
      case 'DeleteTable': {
        const result = await call(headers, 'DeleteTable', input);
        patchDescription(String(input.TableName), result.TableDescription as Record<string, unknown>);
        tables.delete(String(input.TableName));
        return json(result);
      }
      case 'SearchVectors':
        return json(await searchVectors(headers, input));
      case 'StartBulkPutItems':
        return json(await bulk.start(headers, input));
      case 'DescribeBulkOperation':
        return json(bulk.describe(input));
      case 'ListBulkOperations':
        return json(bulk.list(input));
      case 'CancelBulkOperation':
        return json(bulk.cancel(input));
      case 'BatchWriteItem': {
        if (unprocessed > 0) {
          unprocessed--;
          recorded.fault = 'unprocessed';
          const sent: Record<string, unknown[]> = {};
          const kept: Record<string, unknown[]> = {};
          for (const [table, list] of Object.entries(
            (input.RequestItems ?? {}) as Record<string, unknown[]>,
          )) {
            const half = Math.ceil(list.length / 2);
            if (half > 0) sent[table] = list.slice(0, half);
            if (list.length > half) kept[table] = list.slice(half);
          }
          const result = await call(headers, 'BatchWriteItem', { ...input, RequestItems: sent });
          return json({ ...result, UnprocessedItems: kept });
        }
        break;
      }
    }
    const res = await forward(headers, body);
    return { status: res.status, body: res.body, headers: res.headers };
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const targetHeader = String(req.headers['x-amz-target'] ?? '');
      const op = targetHeader.startsWith(PREFIX) ? targetHeader.slice(PREFIX.length) : targetHeader;
      const headers = { ...req.headers };
      delete headers['content-length'];
      delete headers['transfer-encoding'];
      handle(op, headers, body)
        .then((out) => {
          res.writeHead(out.status, {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-requestid': String(out.headers?.['x-amzn-requestid'] ?? `front-${requests.length}`),
            'content-length': String(out.body.length),
          });
          res.end(out.body);
        })
        .catch((error: unknown) => {
          const e =
            error instanceof ApiError ? error : new ApiError('InternalServerError', String(error), 500);
          const text = JSON.stringify({ __type: ERROR_PREFIX + e.type, message: e.message });
          res.writeHead(e.status, {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-errortype': e.type,
            'content-length': String(Buffer.byteLength(text)),
          });
          res.end(text);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    upstream,
    requests,
    nextRequest: (op) => new Promise((resolve) => awaiting.push({ op, resolve })),
    faults: {
      throttle(op, count) {
        throttles.set(op, (throttles.get(op) ?? 0) + count);
      },
      unprocessed(count) {
        unprocessed += count;
      },
    },
    bulk: {
      get started() {
        return bulk.started;
      },
      hold: () => bulk.hold(),
      release: () => bulk.release(),
      idle: () => bulk.idle(),
    },
    vectorIndexes: (table) => tables.get(table)?.indexes ?? [],
    stop: async () => {
      bulk.release();
      await bulk.idle();
      s3Client?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      await stopUpstream?.();
    },
  };
}

function distance(fn: VectorIndexDef['DistanceFunction'], a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
    sq += (x - y) * (x - y);
  }
  if (fn === 'DOT_PRODUCT') return dot;
  if (fn === 'EUCLIDEAN') return Math.sqrt(sq);
  return na === 0 || nb === 0 ? Number.NaN : 1 - dot / Math.sqrt(na * nb);
}

function sameValue(a: AttributeValue | undefined, b: AttributeValue): boolean {
  if (!a) return false;
  if (b.S !== undefined) return a.S === b.S;
  if (b.N !== undefined) return a.N !== undefined && Number(a.N) === Number(b.N);
  if (b.BOOL !== undefined) return a.BOOL === b.BOOL;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `a = :x AND #b = :y`: the equality-only language SearchConditionExpression allows. */
function parseCondition(
  expression: string,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): { attribute: string; value: AttributeValue }[] {
  if (expression.trim() === '') return [];
  return expression.split(/\s+AND\s+/i).map((part) => {
    const m = part.trim().match(/^\(?\s*(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)\s*\)?$/);
    if (!m) {
      throw new ApiError(
        'ValidationException',
        `Invalid SearchConditionExpression: only equality (=) joined by AND is supported: ${part}`,
      );
    }
    const attribute = m[1]!.startsWith('#') ? names[m[1]!] : m[1]!;
    const value = values[m[2]!];
    if (!attribute)
      throw new ApiError(
        'ValidationException',
        `An expression attribute name used in the expression is not defined: ${m[1]}`,
      );
    if (!value)
      throw new ApiError(
        'ValidationException',
        `An expression attribute value used in the expression is not defined: ${m[2]}`,
      );
    return { attribute, value };
  });
}
