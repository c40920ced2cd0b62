import { createHash, randomUUID } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Client as PgClient } from 'pg';

// A stand-in for the Supabase Storage HTTP API (https://supabase.github.io/storage/ and the routes
// @supabase/storage-js calls), served under /storage/v1 on a loopback port. Bodies live on disk,
// metadata in memory. It keeps every request it got, and can inject faults the copier must survive:
// 5xx answers now and then, and an object deleted right after a listing returned it.
// Errors follow the Storage API's long-standing shape: HTTP 400 with the real code in `statusCode`
// (e.g. {"statusCode":"404","error":"not_found","message":"Object not found"}).

export interface StandInBucket {
  id: string;
  name: string;
  owner: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
  created_at: string;
  updated_at: string;
}

export interface StandInObject {
  id: string;
  bucket: string;
  name: string;
  owner: string | null;
  size: number;
  mimetype: string;
  cacheControl: string;
  eTag: string;
  lastModified: string;
  createdAt: string;
  userMetadata: Record<string, unknown> | null;
  file: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
}

export interface StorageStandInOptions {
  /** The service key clients must send as `apikey` and `Authorization: Bearer`. */
  serviceKey: string;
  /** Where bodies are kept; a temp dir by default (removed on stop). */
  directory?: string;
}

export interface StorageStandIn {
  /** Base URL of the project (what supabase-js createClient takes); the API is under /storage/v1. */
  url: string;
  storageUrl: string;
  requests: RecordedRequest[];
  /** Most object bodies being read at the same time since the last reset (how many objects a client had open). */
  maxActiveDownloads(): number;
  resetActiveDownloads(): void;
  createBucket(name: string, options?: { public?: boolean; owner?: string }): void;
  /** Seed an object without HTTP (for fixtures that need exact keys or large bodies). */
  putObject(
    bucket: string,
    name: string,
    body: Buffer,
    meta?: {
      mimetype?: string;
      cacheControl?: string;
      owner?: string;
      userMetadata?: Record<string, unknown>;
    },
  ): StandInObject;
  objects(bucket: string): StandInObject[];
  buckets(): StandInBucket[];
  /** Deletes the object (body and metadata) right after the next listing that returns it. */
  deleteAfterList(bucket: string, name: string): void;
  /** Deletes the body only: a row in storage.objects whose file is gone answers 404 on download. */
  dropBody(bucket: string, name: string): void;
  /** Answer the next `count` object downloads with HTTP 503. */
  failNextDownloads(count: number): void;
  /** Answer every n-th object download with HTTP 503 (0 turns it off). */
  failEveryNthDownload(n: number): void;
  /** Writes storage.buckets and storage.objects (Supabase's columns) for the current objects. */
  mirrorToPostgres(client: PgClient): Promise<void>;
  stop(): Promise<void>;
}

const BASE = '/storage/v1';

export async function startSupabaseStorageApi(options: StorageStandInOptions): Promise<StorageStandIn> {
  const ownDir = options.directory === undefined;
  const root = options.directory ?? mkdtempSync(join(tmpdir(), 'engify-storage-'));
  const buckets = new Map<string, StandInBucket>();
  const objects = new Map<string, Map<string, StandInObject>>();
  const requests: RecordedRequest[] = [];
  const deleteAfter = new Set<string>();
  let failNext = 0;
  let failEvery = 0;
  let downloads = 0;
  let activeDownloads = 0;
  let maxActiveDownloads = 0;

  const fileFor = (bucket: string, name: string) =>
    join(root, encodeURIComponent(bucket), `${createHash('sha1').update(name).digest('hex')}.bin`);

  const createBucket = (name: string, opts: { public?: boolean; owner?: string } = {}) => {
    if (buckets.has(name)) return;
    const now = new Date().toISOString();
    buckets.set(name, {
      id: name,
      name,
      owner: opts.owner ?? '',
      public: opts.public ?? false,
      file_size_limit: null,
      allowed_mime_types: null,
      created_at: now,
      updated_at: now,
    });
    objects.set(name, new Map());
    mkdirSync(join(root, encodeURIComponent(name)), { recursive: true });
  };

  const record = (
    bucket: string,
    name: string,
    file: string,
    size: number,
    eTag: string,
    meta: Parameters<StorageStandIn['putObject']>[3] = {},
  ) => {
    const now = new Date().toISOString();
    const existing = objects.get(bucket)?.get(name);
    const object: StandInObject = {
      id: existing?.id ?? randomUUID(),
      bucket,
      name,
      owner: meta.owner ?? null,
      size,
      mimetype: meta.mimetype ?? 'application/octet-stream',
      cacheControl: meta.cacheControl ?? 'max-age=3600',
      eTag: `"${eTag}"`,
      lastModified: now,
      createdAt: existing?.createdAt ?? now,
      userMetadata: meta.userMetadata ?? null,
      file,
    };
    objects.get(bucket)?.set(name, object);
    return object;
  };

  const removeObject = (bucket: string, name: string) => {
    const object = objects.get(bucket)?.get(name);
    if (!object) return undefined;
    objects.get(bucket)?.delete(name);
    rmSync(object.file, { force: true });
    return object;
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendError(res, 500, '500', 'internal', error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const sendError = (res: ServerResponse, status: number, code: string, error: string, message: string) =>
    sendJson(res, status, { statusCode: code, error, message });

  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (chunks.length === 0) return {};
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  };

  // The wildcard part of a route is a percent-encoded object name; `+` is a literal plus in a path.
  const decodePath = (raw: string) => raw.split('/').map(decodeURIComponent).join('/');

  const listing = (bucket: string, body: Record<string, unknown>) => {
    const prefix = typeof body.prefix === 'string' ? body.prefix.replace(/^\/+|\/+$/g, '') : '';
    const limit = typeof body.limit === 'number' ? body.limit : 100;
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    const search = typeof body.search === 'string' ? body.search : '';
    const sortBy = (body.sortBy ?? {}) as { column?: string; order?: string };
    const dir = prefix === '' ? '' : `${prefix}/`;
    const entries = new Map<string, StandInObject | null>();
    for (const object of objects.get(bucket)?.values() ?? []) {
      if (!object.name.startsWith(dir)) continue;
      const rest = object.name.slice(dir.length);
      const slash = rest.indexOf('/');
      const entry = slash === -1 ? rest : rest.slice(0, slash);
      if (search && !entry.toLowerCase().startsWith(search.toLowerCase())) continue;
      if (slash === -1) entries.set(entry, object);
      else if (!entries.has(entry)) entries.set(entry, null);
    }
    // Byte order of the UTF-8 names, as the storage.search function sorts with COLLATE "C".
    const names = [...entries.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    if (sortBy.column === 'name' && sortBy.order === 'desc') names.reverse();
    return names.slice(offset, offset + limit).map((name) => {
      const object = entries.get(name);
      if (!object)
        return { name, id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null };
      return {
        name,
        id: object.id,
        updated_at: object.lastModified,
        created_at: object.createdAt,
        last_accessed_at: object.lastModified,
        metadata: objectMetadata(object),
      };
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    res.on('finish', () => requests.push({ method, path: url.pathname, status: res.statusCode }));
    if (!url.pathname.startsWith(`${BASE}/`))
      return sendError(res, 404, '404', 'not_found', 'Route not found');
    const route = url.pathname.slice(BASE.length);
    const bearer = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    if (req.headers.apikey !== options.serviceKey || bearer !== options.serviceKey) {
      return sendError(res, 400, '403', 'Unauthorized', 'invalid signature');
    }

    if (route === '/bucket' || route === '/bucket/') {
      if (method === 'GET') return sendJson(res, 200, [...buckets.values()]);
      if (method === 'POST') {
        const body = await readJson(req);
        const name = String(body.id ?? body.name ?? '');
        if (!name) return sendError(res, 400, '400', 'invalid', 'name is required');
        if (buckets.has(name)) return sendError(res, 400, '409', 'Duplicate', 'The resource already exists');
        createBucket(name, { public: body.public === true });
        return sendJson(res, 200, { name });
      }
    }
    const bucketMatch = /^\/bucket\/([^/]+)$/.exec(route);
    if (bucketMatch && method === 'GET') {
      const bucket = buckets.get(decodeURIComponent(bucketMatch[1] ?? ''));
      return bucket
        ? sendJson(res, 200, bucket)
        : sendError(res, 400, '404', 'Bucket not found', 'Bucket not found');
    }

    const listMatch = /^\/object\/list\/([^/]+)$/.exec(route);
    if (listMatch && method === 'POST') {
      const bucket = decodeURIComponent(listMatch[1] ?? '');
      if (!buckets.has(bucket)) return sendError(res, 400, '404', 'Bucket not found', 'Bucket not found');
      const items = listing(bucket, await readJson(req));
      sendJson(res, 200, items);
      for (const key of [...deleteAfter]) {
        const [b, name] = JSON.parse(key) as [string, string];
        if (b !== bucket) continue;
        const id = objects.get(b)?.get(name)?.id;
        const listed = id !== undefined && items.some((item) => item.id === id);
        if (listed) {
          deleteAfter.delete(key);
          removeObject(b, name);
        }
      }
      return;
    }

    const infoMatch = /^\/object\/info\/(?:authenticated\/|public\/)?([^/]+)\/(.+)$/.exec(route);
    if (infoMatch && method === 'GET') {
      const object = objects.get(decodeURIComponent(infoMatch[1] ?? ''))?.get(decodePath(infoMatch[2] ?? ''));
      if (!object) return sendError(res, 400, '404', 'not_found', 'Object not found');
      return sendJson(res, 200, {
        id: object.id,
        name: object.name,
        version: object.id,
        bucket_id: object.bucket,
        size: object.size,
        content_type: object.mimetype,
        cache_control: object.cacheControl,
        etag: object.eTag,
        metadata: object.userMetadata,
        last_modified: object.lastModified,
        created_at: object.createdAt,
      });
    }

    const bulkDelete = /^\/object\/([^/]+)\/?$/.exec(route);
    if (bulkDelete && method === 'DELETE') {
      const bucket = decodeURIComponent(bulkDelete[1] ?? '');
      const body = await readJson(req);
      const prefixes = Array.isArray(body.prefixes) ? body.prefixes.map(String) : [];
      const removed = prefixes
        .map((name) => removeObject(bucket, name))
        .filter((o): o is StandInObject => o !== undefined);
      return sendJson(
        res,
        200,
        removed.map((o) => ({ name: o.name, bucket_id: o.bucket, id: o.id, metadata: objectMetadata(o) })),
      );
    }

    const objectMatch = /^\/object\/(?:(authenticated|public)\/)?([^/]+)\/(.+)$/.exec(route);
    if (objectMatch) {
      const access = objectMatch[1];
      const bucket = decodeURIComponent(objectMatch[2] ?? '');
      const name = decodePath(objectMatch[3] ?? '');
      if (!buckets.has(bucket)) return sendError(res, 400, '404', 'Bucket not found', 'Bucket not found');
      if (method === 'GET' || method === 'HEAD') {
        if (access === 'public' && !buckets.get(bucket)?.public)
          return sendError(res, 400, '404', 'not_found', 'Object not found');
        if (method === 'GET') {
          downloads++;
          if (failNext > 0 || (failEvery > 0 && downloads % failEvery === 0)) {
            if (failNext > 0) failNext--;
            return sendError(res, 503, '503', 'ServiceUnavailable', 'Service temporarily unavailable');
          }
        }
        const object = objects.get(bucket)?.get(name);
        let exists = false;
        try {
          exists = object !== undefined && statSync(object.file).isFile();
        } catch {
          exists = false;
        }
        if (!object || !exists) {
          if (method === 'HEAD') {
            res.writeHead(400);
            res.end();
            return;
          }
          return sendError(res, 400, '404', 'not_found', 'Object not found');
        }
        res.writeHead(200, {
          'content-type': object.mimetype,
          'cache-control': object.cacheControl,
          'content-length': object.size,
          etag: object.eTag,
          'last-modified': new Date(object.lastModified).toUTCString(),
        });
        if (method === 'HEAD') {
          res.end();
          return;
        }
        activeDownloads++;
        maxActiveDownloads = Math.max(maxActiveDownloads, activeDownloads);
        try {
          await pipeline(createReadStream(object.file), res);
        } finally {
          activeDownloads--;
        }
        return;
      }
      if (method === 'POST' || method === 'PUT') {
        const upsert = method === 'PUT' || req.headers['x-upsert'] === 'true';
        if (!upsert && objects.get(bucket)?.has(name))
          return sendError(res, 400, '409', 'Duplicate', 'The resource already exists');
        if (String(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
          return sendError(res, 400, '400', 'unsupported', 'the stand-in accepts raw bodies only');
        }
        const file = fileFor(bucket, name);
        const temp = `${file}.${randomUUID()}.part`;
        const md5 = createHash('md5');
        let size = 0;
        req.on('data', (chunk: Buffer) => {
          md5.update(chunk);
          size += chunk.length;
        });
        await pipeline(req, createWriteStream(temp));
        renameSync(temp, file);
        const metaHeader = req.headers['x-metadata'];
        const userMetadata =
          typeof metaHeader === 'string'
            ? (JSON.parse(Buffer.from(metaHeader, 'base64').toString('utf8')) as Record<string, unknown>)
            : undefined;
        const owner = req.headers['x-owner-id'];
        const object = record(bucket, name, file, size, md5.digest('hex'), {
          mimetype: String(req.headers['content-type'] ?? 'application/octet-stream'),
          cacheControl: String(req.headers['cache-control'] ?? 'max-age=3600'),
          owner: typeof owner === 'string' ? owner : undefined,
          userMetadata,
        });
        return sendJson(res, 200, { Id: object.id, Key: `${bucket}/${name}` });
      }
      if (method === 'DELETE') {
        const removed = removeObject(bucket, name);
        return removed
          ? sendJson(res, 200, { message: 'Successfully deleted' })
          : sendError(res, 400, '404', 'not_found', 'Object not found');
      }
    }
    return sendError(res, 404, '404', 'not_found', `Route ${method}:${route} not found`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    storageUrl: `${url}${BASE}`,
    requests,
    maxActiveDownloads: () => maxActiveDownloads,
    resetActiveDownloads: () => {
      maxActiveDownloads = activeDownloads;
    },
    createBucket,
    putObject(bucket, name, body, meta = {}) {
      createBucket(bucket);
      const file = fileFor(bucket, name);
      writeFileSyncAtomic(file, body);
      return record(bucket, name, file, body.length, createHash('md5').update(body).digest('hex'), meta);
    },
    objects: (bucket) => [...(objects.get(bucket)?.values() ?? [])],
    buckets: () => [...buckets.values()],
    deleteAfterList(bucket, name) {
      deleteAfter.add(JSON.stringify([bucket, name]));
    },
    dropBody(bucket, name) {
      const object = objects.get(bucket)?.get(name);
      if (object) rmSync(object.file, { force: true });
    },
    failNextDownloads(count) {
      failNext = count;
    },
    failEveryNthDownload(n) {
      failEvery = n;
      downloads = 0;
    },
    async mirrorToPostgres(client) {
      await client.query(STORAGE_SCHEMA_SQL);
      for (const bucket of buckets.values()) {
        await client.query(
          `INSERT INTO storage.buckets (id, name, owner, public, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET public = EXCLUDED.public`,
          [bucket.id, bucket.name, bucket.owner || null, bucket.public, bucket.created_at, bucket.updated_at],
        );
        for (const object of objects.get(bucket.id)?.values() ?? []) {
          await client.query(
            `INSERT INTO storage.objects (id, bucket_id, name, owner, owner_id, created_at, updated_at, last_accessed_at, metadata, user_metadata)
             VALUES ($1, $2, $3, $4::uuid, $4, $5, $6, $6, $7, $8)
             ON CONFLICT (bucket_id, name) DO UPDATE SET metadata = EXCLUDED.metadata, owner = EXCLUDED.owner, owner_id = EXCLUDED.owner_id,
               user_metadata = EXCLUDED.user_metadata, updated_at = EXCLUDED.updated_at`,
            [
              object.id,
              object.bucket,
              object.name,
              object.owner,
              object.createdAt,
              object.lastModified,
              JSON.stringify(objectMetadata(object)),
              object.userMetadata === null ? null : JSON.stringify(object.userMetadata),
            ],
          );
        }
      }
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDir) rmSync(root, { recursive: true, force: true });
    },
  };
}

function objectMetadata(object: StandInObject) {
  return {
    eTag: object.eTag,
    size: object.size,
    mimetype: object.mimetype,
    cacheControl: object.cacheControl,
    lastModified: object.lastModified,
    contentLength: object.size,
    httpStatusCode: 200,
  };
}

function writeFileSyncAtomic(file: string, body: Buffer): void {
  const temp = `${file}.${randomUUID()}.tmp`;
  writeFileSync(temp, body);
  renameSync(temp, file);
}

/** The part of Supabase's storage schema the copier reads (columns as in Supabase's storage migrations). */
export const STORAGE_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS storage;
CREATE TABLE IF NOT EXISTS storage.buckets (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  owner uuid,
  owner_id text,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now(),
  public boolean DEFAULT false,
  avif_autodetection boolean DEFAULT false,
  file_size_limit bigint,
  allowed_mime_types text[]
);
CREATE TABLE IF NOT EXISTS storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  bucket_id text REFERENCES storage.buckets(id),
  name text NOT NULL,
  owner uuid,
  owner_id text,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now(),
  last_accessed_at timestamptz DEFAULT now(),
  metadata jsonb,
  path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
  version text,
  user_metadata jsonb,
  UNIQUE (bucket_id, name)
);
`;
