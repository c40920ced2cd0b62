import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';

// A Qdrant REST stand-in (no Qdrant binary exists for this machine), written from Qdrant's OpenAPI
// reference (api.qdrant.tech, v1.18): the routes, the `{result, status, time}` envelope, the
// `{status: {error}}` error body, the `api-key` header, point ids that are unsigned integers or UUIDs
// and scroll ordering by id (integers before UUIDs), float32 storage (vectors are stored and returned
// as float32, Cosine vectors normalised at upsert, as Qdrant does). It keeps the requests it got.

export type Distance = 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan';
export type PointId = number | string;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Payload = Record<string, JsonValue>;

export interface VectorParams {
  size: number;
  distance: Distance;
  multivector_config?: { comparator: string };
}

export interface CollectionSpec {
  vectors: VectorParams | Record<string, VectorParams>;
  sparse_vectors?: Record<string, Record<string, JsonValue>>;
}

interface StoredPoint {
  id: PointId;
  /** Dense vectors by name ('' for the unnamed default). Sparse vectors kept as given. */
  vectors: Map<string, Float32Array | { indices: number[]; values: number[] } | number[][]>;
  payload: Payload;
}

interface Collection {
  spec: CollectionSpec;
  points: Map<string, StoredPoint>;
  sorted?: StoredPoint[];
  /** A generated collection: `count` points with ids firstId.., made when read, never all held. */
  generated?: GeneratedPoints;
}

export interface GeneratedPoints {
  count: number;
  /** The first (integer) id; the others follow it. Default 0. */
  firstId?: number;
  point(id: number): { vector: number[]; payload?: Payload };
}

export interface RecordedRequest {
  method: string;
  path: string;
  apiKey?: string;
}

export interface QdrantStandIn {
  url: string;
  requests: RecordedRequest[];
  /** Test seeding without HTTP, able to store what a real server might hold after corruption (NaN, wrong size). */
  seed(
    collection: string,
    points: { id: PointId; vector: number[] | Record<string, number[]>; payload?: Payload }[],
  ): void;
  createCollection(name: string, spec: CollectionSpec): void;
  /**
   * A collection far larger than memory, for tests of what a plan measures (as a test hand-sets
   * pg_class statistics): it answers collection info, count and scroll, making each point on read.
   */
  generate(name: string, spec: CollectionSpec, points: GeneratedPoints): void;
  dropCollection(name: string): void;
  /**
   * The disk snapshots are staged on (Qdrant's storage.snapshots_path): with a limit, a snapshot larger
   * than `freeBytes` fails as Qdrant's does on a full disk (500, "No space left on device (os error
   * 28)", naming the file it was writing). Undefined: no limit.
   */
  snapshotDisk(limit: { path: string; freeBytes: number } | undefined): void;
  /** Run `hook` before answering each request: lets a test delete a collection mid-copy. */
  onRequest(hook: ((req: RecordedRequest) => void) | undefined): void;
  stop(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A route's answer that is a file, not the JSON envelope (a snapshot download). */
class RawBody {
  constructor(readonly bytes: Buffer) {}
}

const SNAPSHOT_FORMAT = 'engify-qdrant-stand-in-snapshot@1';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function idKey(id: PointId): string {
  return typeof id === 'number' ? `n:${id}` : `u:${id.toLowerCase()}`;
}

function parseId(raw: unknown): PointId {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw;
  if (typeof raw === 'string' && UUID.test(raw)) return raw.toLowerCase();
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return Number(raw);
  throw new HttpError(
    400,
    `Format error in JSON body: value ${JSON.stringify(raw)} is not a valid point ID, valid values are either an unsigned integer or a UUID`,
  );
}

function compareIds(a: PointId, b: PointId): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Shortest decimal that reads back as the same float32, as Qdrant (serde + ryu on f32) prints it. */
export function float32ToJson(f: number): number | null {
  if (!Number.isFinite(f)) return null;
  for (let p = 6; p <= 9; p++) {
    const n = Number(f.toPrecision(p));
    if (Math.fround(n) === f) return n;
  }
  return f;
}

function vectorParamsOf(spec: CollectionSpec): Map<string, VectorParams> {
  const v = spec.vectors;
  if (typeof (v as VectorParams).size === 'number') return new Map([['', v as VectorParams]]);
  return new Map(Object.entries(v as Record<string, VectorParams>));
}

function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm === 0 || !Number.isFinite(norm)) return v;
  return v.map((x) => x / norm);
}

export function score(distance: Distance, a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let sq = 0;
  let man = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    sq += (x - y) * (x - y);
    man += Math.abs(x - y);
    na += x * x;
    nb += y * y;
  }
  switch (distance) {
    case 'Cosine':
      return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
    case 'Dot':
      return dot;
    case 'Euclid':
      return Math.sqrt(sq);
    case 'Manhattan':
      return man;
  }
}

// Filters: the subset of Qdrant's filter language the migration uses (match value, range, has_id).
interface Condition {
  key?: string;
  match?: { value?: JsonValue; any?: JsonValue[] };
  range?: { gt?: number; gte?: number; lt?: number; lte?: number };
  has_id?: PointId[];
  must?: Condition[];
  should?: Condition[];
  must_not?: Condition[];
}

function fieldValue(payload: Payload, key: string): JsonValue | undefined {
  let value: JsonValue | undefined = payload;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = value[part];
  }
  return value;
}

function matches(point: StoredPoint, c: Condition): boolean {
  if (c.must && !c.must.every((x) => matches(point, x))) return false;
  if (c.should && c.should.length > 0 && !c.should.some((x) => matches(point, x))) return false;
  if (c.must_not?.some((x) => matches(point, x))) return false;
  if (c.has_id && !c.has_id.some((id) => idKey(parseId(id)) === idKey(point.id))) return false;
  if (c.key !== undefined) {
    const value = fieldValue(point.payload, c.key);
    const values = Array.isArray(value) ? value : [value];
    if (c.match) {
      const wanted = c.match.any ?? [c.match.value ?? null];
      if (!values.some((v) => wanted.some((w) => w === v))) return false;
    }
    if (c.range) {
      const r = c.range;
      const ok = values.some((v) => {
        if (typeof v !== 'number') return false;
        return (
          (r.gt === undefined || v > r.gt) &&
          (r.gte === undefined || v >= r.gte) &&
          (r.lt === undefined || v < r.lt) &&
          (r.lte === undefined || v <= r.lte)
        );
      });
      if (!ok) return false;
    }
  }
  return true;
}

/** `a` is the same release as `b` or a later one (major.minor.patch). */
function atLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

export async function startQdrantStandIn(
  /** `version` is the release GET / reports, and the one whose API the stand-in answers with. */
  options: { apiKey?: string; version?: string } = {},
): Promise<QdrantStandIn> {
  const version = options.version ?? '1.18.0';
  // The Query API came in 1.10.0 (POST /points/query is a 404 before it); `sample: random` in 1.11.0,
  // so 1.10 rejects it as a query of no known shape (qdrant.tech/blog/qdrant-1.11.x).
  const hasQueryApi = atLeast(version, '1.10.0');
  const hasRandomSample = atLeast(version, '1.11.0');
  const collections = new Map<string, Collection>();
  const snapshots = new Map<string, Map<string, Buffer>>();
  let disk: { path: string; freeBytes: number } | undefined;
  let raw: Buffer = Buffer.alloc(0);
  const requests: RecordedRequest[] = [];
  let hook: ((req: RecordedRequest) => void) | undefined;
  const rendered = new WeakMap<Float32Array, (number | null)[]>();

  const getCollection = (name: string): Collection => {
    const c = collections.get(name);
    if (!c) throw new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  };

  const sortedPoints = (c: Collection): StoredPoint[] => {
    c.sorted ??= [...c.points.values()].sort((a, b) => compareIds(a.id, b.id));
    return c.sorted;
  };

  const storePoint = (c: Collection, id: PointId, vector: unknown, payload: Payload, validate: boolean) => {
    const params = vectorParamsOf(c.spec);
    const vectors: StoredPoint['vectors'] = new Map();
    const given: Record<string, unknown> = Array.isArray(vector)
      ? { '': vector }
      : ((vector ?? {}) as Record<string, unknown>);
    for (const [name, raw] of Object.entries(given)) {
      const p = params.get(name);
      const sparse = c.spec.sparse_vectors?.[name];
      if (sparse && raw && typeof raw === 'object' && !Array.isArray(raw)) {
        vectors.set(name, raw as { indices: number[]; values: number[] });
        continue;
      }
      if (!p) {
        if (validate)
          throw new HttpError(400, `Wrong input: Not existing vector name error: ${name || 'default'}`);
        continue;
      }
      if (p.multivector_config) {
        vectors.set(name, raw as number[][]);
        continue;
      }
      const arr = raw as number[];
      if (validate) {
        if (!Array.isArray(arr) || arr.some((x) => typeof x !== 'number')) {
          throw new HttpError(400, 'Format error in JSON body: vector must be an array of numbers');
        }
        if (arr.length !== p.size) {
          throw new HttpError(
            400,
            `Wrong input: Vector dimension error: expected dim: ${p.size}, got ${arr.length}`,
          );
        }
      }
      const f = Float32Array.from(arr, (x) => (x === null ? Number.NaN : x));
      const stored = p.distance === 'Cosine' ? normalise(f) : f;
      // Rendered once at upsert: scroll answers stay cheap, so the stand-in does not slow what shares its process.
      rendered.set(stored, Array.from(stored, float32ToJson));
      vectors.set(name, stored);
    }
    c.points.set(idKey(id), { id, vectors, payload });
    c.sorted = undefined;
  };

  const render = (point: StoredPoint, withVector: unknown, withPayload: unknown) => {
    const out: Record<string, JsonValue> = { id: point.id };
    if (withPayload !== false) out.payload = point.payload;
    else out.payload = null;
    if (withVector === true || Array.isArray(withVector)) {
      const wanted = Array.isArray(withVector) ? new Set(withVector as string[]) : undefined;
      const named: Record<string, JsonValue> = {};
      let unnamed: JsonValue | undefined;
      for (const [name, v] of point.vectors) {
        if (wanted && !wanted.has(name)) continue;
        const json: JsonValue =
          v instanceof Float32Array
            ? (rendered.get(v) ?? Array.from(v, float32ToJson))
            : Array.isArray(v)
              ? (v as number[][])
              : { indices: v.indices, values: v.values };
        if (name === '') unnamed = json;
        else named[name] = json;
      }
      out.vector = unnamed ?? named;
    } else {
      out.vector = null;
    }
    return out;
  };

  const search = (
    c: Collection,
    body: Record<string, unknown>,
    query: unknown,
    using: string | undefined,
  ) => {
    const params = vectorParamsOf(c.spec);
    const name = using ?? '';
    const p = params.get(name);
    if (!p) throw new HttpError(400, `Wrong input: Not existing vector name error: ${name || 'default'}`);
    let q: Float32Array = Float32Array.from(query as number[]);
    if (q.length !== p.size) {
      throw new HttpError(
        400,
        `Wrong input: Vector dimension error: expected dim: ${p.size}, got ${q.length}`,
      );
    }
    if (p.distance === 'Cosine') q = normalise(q);
    const filter = body.filter as Condition | undefined;
    const limit = Number(body.limit ?? 10);
    const offset = Number(body.offset ?? 0);
    const higherIsBetter = p.distance === 'Cosine' || p.distance === 'Dot';
    const scored: { point: StoredPoint; score: number }[] = [];
    for (const point of sortedPoints(c)) {
      if (filter && !matches(point, filter)) continue;
      const v = point.vectors.get(name);
      if (!(v instanceof Float32Array)) continue;
      scored.push({ point, score: score(p.distance, q, v) });
    }
    scored.sort(
      (a, b) =>
        (higherIsBetter ? b.score - a.score : a.score - b.score) || compareIds(a.point.id, b.point.id),
    );
    return scored.slice(offset, offset + limit).map(({ point, score: s }) => ({
      ...render(point, body.with_vector ?? false, body.with_payload ?? false),
      version: 0,
      score: s,
    }));
  };

  const snapshotOf = (name: string, c: Collection): Buffer => {
    if (c.generated)
      throw new HttpError(400, 'Wrong input: the stand-in cannot snapshot a generated collection');
    const lines = [JSON.stringify({ format: SNAPSHOT_FORMAT, collection: name, spec: c.spec })];
    for (const p of sortedPoints(c)) {
      const vectors: Record<string, unknown> = {};
      for (const [k, v] of p.vectors) vectors[k] = v instanceof Float32Array ? Array.from(v) : v;
      lines.push(JSON.stringify({ id: p.id, vectors, payload: p.payload }));
    }
    return gzipSync(`${lines.join('\n')}\n`);
  };
  const describeSnapshot = (name: string, bytes: Buffer) => ({
    name,
    creation_time: new Date().toISOString().replace(/Z$/, ''),
    size: bytes.length,
    checksum: createHash('sha256').update(bytes).digest('hex'),
  });
  const restoreSnapshot = (name: string, file: Buffer) => {
    let text: string;
    try {
      text = gunzipSync(file).toString('utf8');
    } catch {
      throw new HttpError(400, 'Bad request: the uploaded file is not a snapshot');
    }
    const [head, ...rest] = text.split('\n').filter(Boolean);
    const meta = JSON.parse(head ?? '{}') as { format?: string; spec?: CollectionSpec };
    if (meta.format !== SNAPSHOT_FORMAT || !meta.spec)
      throw new HttpError(400, 'Bad request: the uploaded file is not a snapshot');
    const c: Collection = { spec: meta.spec, points: new Map() };
    for (const line of rest) {
      const p = JSON.parse(line) as { id: PointId; vectors: Record<string, unknown>; payload: Payload };
      const vector = Object.keys(p.vectors).length === 1 && '' in p.vectors ? p.vectors[''] : p.vectors;
      storePoint(c, p.id, vector, p.payload, false);
    }
    collections.set(name, c);
  };

  /** The routes a generated collection answers: count, scroll and random samples (no filters); read-only. */
  const generatedRoute = (
    gen: GeneratedPoints,
    method: string,
    action: string,
    body: Record<string, unknown>,
  ) => {
    if (body.filter !== undefined && body.filter !== null)
      throw new HttpError(400, 'Wrong input: the stand-in cannot filter a generated collection');
    const first = gen.firstId ?? 0;
    const make = (id: number): StoredPoint => {
      const made = gen.point(id);
      return { id, vectors: new Map([['', Float32Array.from(made.vector)]]), payload: made.payload ?? {} };
    };
    const shown = (p: StoredPoint, vectorsByDefault: boolean) =>
      render(p, body.with_vector ?? body.with_vectors ?? vectorsByDefault, body.with_payload ?? true);
    if (method === 'POST' && action === '/count') return { count: gen.count };
    if (method === 'POST' && action === '/scroll') {
      const limit = Number(body.limit ?? 10);
      const start =
        body.offset === undefined || body.offset === null ? 0 : Number(parseId(body.offset)) - first;
      const end = Math.min(gen.count, Math.max(0, start) + limit);
      const page: StoredPoint[] = [];
      for (let i = Math.max(0, start); i < end; i++) page.push(make(first + i));
      return {
        points: page.map((p) => shown(p, false)),
        next_page_offset: end < gen.count ? first + end : null,
      };
    }
    const q = body.query as { sample?: string } | undefined;
    if (method === 'POST' && action === '/query' && hasRandomSample && q?.sample === 'random') {
      const limit = Math.min(Number(body.limit ?? 10), gen.count);
      const picked = new Set<number>();
      while (picked.size < limit) picked.add(Math.floor(Math.random() * gen.count));
      return { points: [...picked].map((i) => shown(make(first + i), false)) };
    }
    throw new HttpError(400, 'Wrong input: a generated collection of the stand-in is read-only');
  };

  const route = async (
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ) => {
    if (method === 'GET' && path === '/') return { title: 'qdrant - vector search engine', version };
    let m: RegExpMatchArray | null = null;
    const at = (re: RegExp) => {
      m = path.match(re);
      return m !== null;
    };
    const g = (i: number): string => (m as RegExpMatchArray | null)?.[i] ?? '';
    if (method === 'GET' && path === '/collections') {
      return { collections: [...collections.keys()].map((name) => ({ name })) };
    }
    // Snapshots (api.qdrant.tech "Snapshots"): create, list, download, delete, and restore by upload.
    // The file is the stand-in's own (gzip'd JSON lines: the collection's spec, then its points), but it
    // is a real file: downloaded whole, checksummed (sha256), and restorable into a stand-in.
    if (at(/^\/collections\/([^/]+)\/snapshots\/upload$/) && method === 'POST') {
      const name = decodeURIComponent(g(1));
      restoreSnapshot(name, fileOfMultipart(raw));
      return true;
    }
    if (at(/^\/collections\/([^/]+)\/snapshots$/)) {
      const name = decodeURIComponent(g(1));
      const c = getCollection(name);
      const own = snapshots.get(name) ?? new Map<string, Buffer>();
      snapshots.set(name, own);
      if (method === 'GET') return [...own.entries()].map(([n, b]) => describeSnapshot(n, b));
      if (method === 'POST') {
        const file = snapshotOf(name, c);
        const stamp = new Date().toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
        const snapshotName = `${name}-${requests.length}-${stamp}.snapshot`;
        const staged = [...own.values()].reduce((n, b) => n + b.length, 0);
        if (disk && staged + file.length > disk.freeBytes)
          throw new HttpError(
            500,
            `Service internal error: failed to write snapshot "${disk.path}/${snapshotName}.tmp": No space left on device (os error 28)`,
          );
        own.set(snapshotName, file);
        return describeSnapshot(snapshotName, file);
      }
    }
    if (at(/^\/collections\/([^/]+)\/snapshots\/([^/]+)$/)) {
      const name = decodeURIComponent(g(1));
      const file = decodeURIComponent(g(2));
      const own = snapshots.get(name);
      const bytes = own?.get(file);
      if (!bytes) throw new HttpError(404, `Not found: Snapshot ${file} not found`);
      if (method === 'GET') return new RawBody(bytes);
      if (method === 'DELETE') return own!.delete(file);
    }
    if (at(/^\/collections\/([^/]+)\/exists$/) && method === 'GET') {
      return { exists: collections.has(decodeURIComponent(g(1))) };
    }
    if (at(/^\/collections\/([^/]+)$/)) {
      const name = decodeURIComponent(g(1));
      if (method === 'GET') {
        const c = getCollection(name);
        return {
          status: 'green',
          optimizer_status: 'ok',
          indexed_vectors_count: 0,
          points_count: c.generated?.count ?? c.points.size,
          segments_count: 1,
          config: {
            params: {
              vectors: c.spec.vectors,
              ...(c.spec.sparse_vectors ? { sparse_vectors: c.spec.sparse_vectors } : {}),
              shard_number: 1,
              replication_factor: 1,
              write_consistency_factor: 1,
              on_disk_payload: true,
            },
            hnsw_config: {
              m: 16,
              ef_construct: 100,
              full_scan_threshold: 10000,
              max_indexing_threads: 0,
              on_disk: false,
            },
            optimizer_config: {
              deleted_threshold: 0.2,
              vacuum_min_vector_number: 1000,
              default_segment_number: 0,
              flush_interval_sec: 5,
            },
            wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
            quantization_config: null,
          },
          payload_schema: {},
        };
      }
      if (method === 'PUT') {
        if (collections.has(name))
          throw new HttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
        if (!body.vectors || typeof body.vectors !== 'object')
          throw new HttpError(400, 'Format error in JSON body: missing field `vectors`');
        collections.set(name, { spec: body as unknown as CollectionSpec, points: new Map() });
        return true;
      }
      if (method === 'DELETE') return collections.delete(name);
    }
    if (at(/^\/collections\/([^/]+)\/points(\/[a-z]+)?$/)) {
      const c = getCollection(decodeURIComponent(g(1)));
      const action = g(2);
      if (method === 'PUT' && action === '') {
        const points = body.points as { id: unknown; vector: unknown; payload?: Payload }[] | undefined;
        if (!Array.isArray(points))
          throw new HttpError(400, 'Format error in JSON body: missing field `points`');
        for (const p of points) storePoint(c, parseId(p.id), p.vector, p.payload ?? {}, true);
        return {
          operation_id: requests.length,
          status: query.get('wait') === 'true' ? 'completed' : 'acknowledged',
        };
      }
      if (method === 'POST' && action === '/delete') {
        for (const id of (body.points as unknown[]) ?? []) c.points.delete(idKey(parseId(id)));
        c.sorted = undefined;
        return { operation_id: requests.length, status: 'completed' };
      }
      if (c.generated) return generatedRoute(c.generated, method, action, body);
      if (method === 'POST' && action === '/count') {
        const filter = body.filter as Condition | undefined;
        const count = filter ? sortedPoints(c).filter((p) => matches(p, filter)).length : c.points.size;
        return { count };
      }
      if (method === 'POST' && action === '/scroll') {
        const limit = Number(body.limit ?? 10);
        if (!Number.isInteger(limit) || limit < 1)
          throw new HttpError(
            400,
            'Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]',
          );
        const all = sortedPoints(c);
        let start = 0;
        if (body.offset !== undefined && body.offset !== null) {
          const offset = parseId(body.offset);
          let lo = 0;
          let hi = all.length;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (compareIds(all[mid]!.id, offset) < 0) lo = mid + 1;
            else hi = mid;
          }
          start = lo;
        }
        const filter = body.filter as Condition | undefined;
        const page: StoredPoint[] = [];
        let next: PointId | null = null;
        for (let i = start; i < all.length; i++) {
          const p = all[i]!;
          if (filter && !matches(p, filter)) continue;
          if (page.length === limit) {
            next = p.id;
            break;
          }
          page.push(p);
        }
        return {
          points: page.map((p) =>
            render(p, body.with_vector ?? body.with_vectors ?? false, body.with_payload ?? true),
          ),
          next_page_offset: next,
        };
      }
      if (method === 'POST' && action === '/search') {
        const vector = body.vector;
        if (Array.isArray(vector)) return search(c, body, vector, undefined);
        const named = vector as { name: string; vector: number[] };
        return search(c, body, named.vector, named.name);
      }
      if (method === 'POST' && action === '/query' && hasQueryApi) {
        const q = body.query as unknown;
        if (
          q &&
          typeof q === 'object' &&
          !Array.isArray(q) &&
          (q as { sample?: string }).sample === 'random'
        ) {
          if (!hasRandomSample)
            throw new HttpError(
              400,
              'Format error in JSON body: data did not match any variant of untagged enum QueryInterface',
            );
          const all = sortedPoints(c);
          const limit = Math.min(Number(body.limit ?? 10), all.length);
          const picked = new Set<number>();
          while (picked.size < limit) picked.add(Math.floor(Math.random() * all.length));
          return {
            points: [...picked].map((i) =>
              render(all[i]!, body.with_vector ?? false, body.with_payload ?? false),
            ),
          };
        }
        const vector = Array.isArray(q) ? q : (q as { nearest?: number[] } | undefined)?.nearest;
        if (!Array.isArray(vector)) throw new HttpError(400, 'Format error in JSON body: unsupported query');
        return { points: search(c, body, vector, body.using as string | undefined) };
      }
    }
    throw new HttpError(404, `Not found: ${method} ${path}`);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const t0 = process.hrtime.bigint();
      const url = new URL(req.url ?? '/', 'http://localhost');
      const apiKey = req.headers['api-key'];
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        ...(typeof apiKey === 'string' ? { apiKey } : {}),
      };
      requests.push(recorded);
      const send = (status: number, payload: unknown) => {
        const text = JSON.stringify(payload);
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      const time = () => Number(process.hrtime.bigint() - t0) / 1e9;
      void (async () => {
        try {
          hook?.(recorded);
          if (options.apiKey !== undefined && apiKey !== options.apiKey && url.pathname !== '/') {
            throw new HttpError(401, 'Must provide an API key or an Authorization bearer token');
          }
          raw = Buffer.concat(chunks);
          const json = !String(req.headers['content-type'] ?? '').startsWith('multipart/');
          const body =
            json && raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
          const result = await route(recorded.method, url.pathname, url.searchParams, body);
          if (result instanceof RawBody) {
            res.writeHead(200, {
              'content-type': 'application/octet-stream',
              'content-length': result.bytes.length,
            });
            res.end(result.bytes);
          } else if (url.pathname === '/') send(200, result);
          else send(200, { result, status: 'ok', time: time() });
        } catch (error) {
          const status = error instanceof HttpError ? error.status : error instanceof SyntaxError ? 400 : 500;
          const message = error instanceof Error ? error.message : String(error);
          send(status, { status: { error: message }, time: time() });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    seed(name, points) {
      const c = getCollection(name);
      for (const p of points) storePoint(c, parseId(p.id), p.vector, p.payload ?? {}, false);
    },
    createCollection(name, spec) {
      collections.set(name, { spec, points: new Map() });
    },
    generate(name, spec, points) {
      collections.set(name, { spec, points: new Map(), generated: points });
    },
    dropCollection(name) {
      collections.delete(name);
    },
    onRequest(h) {
      hook = h;
    },
    snapshotDisk(limit) {
      disk = limit;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The bytes of the first file part of a multipart/form-data body (the `snapshot` field). */
function fileOfMultipart(body: Buffer): Buffer {
  const firstLineEnd = body.indexOf('\r\n');
  if (firstLineEnd < 0) throw new HttpError(400, 'Bad request: expected multipart/form-data');
  const boundary = body.subarray(0, firstLineEnd);
  const headerEnd = body.indexOf('\r\n\r\n', firstLineEnd);
  const end = body.indexOf(Buffer.concat([Buffer.from('\r\n'), boundary]), headerEnd);
  if (headerEnd < 0 || end < 0) throw new HttpError(400, 'Bad request: expected multipart/form-data');
  return body.subarray(headerEnd + 4, end);
}
