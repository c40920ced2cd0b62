import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EngifyError } from '../../src/core/errors.js';
import { createServices, type Services } from '../../src/core/services.js';
import { createStorageSource } from '../../src/providers/supabase/storage/index.js';
import {
  compareNames,
  type StorageObject,
  type StorageSource,
} from '../../src/providers/supabase/storage/types.js';
import { type S3rverProcess, startS3rverProcess } from '../../src/sandbox/s3rver-process.js';
import { LOCAL_CREDENTIALS } from '../../src/sandbox/stack.js';
import { type StorageStandIn, startSupabaseStorageApi } from '../../src/sandbox/supabase-storage-api.js';
import {
  AWKWARD_NAMES,
  createBucket,
  filesConfig,
  SERVICE_KEY,
  s3Client,
} from '../helpers/files-fixtures.js';
import { loadTestConfig } from '../helpers/session.js';

// One StorageSource contract, run through the same cases against the three ways of reading Supabase
// Storage: `db` (storage.objects over PostgreSQL, bodies through the Storage API stand-in), `api` (the
// Storage API stand-in for both) and `s3` (the S3-compatible endpoint, an s3rver holding the same
// objects; visibility from the Storage API when it is configured, unknown when not). Each is built by
// the real factory from a real config. What the modes may differ in is what they declare:
// `resumesAfterName` (a stable name order that `after` resumes in) and what a listing can know.

const PAGE = 3;
const DATABASE = `storage_contract_${process.pid}`;
/** Names whose folder-by-folder order differs from their byte order ('-' < '.' < '/'). */
const ORDER_NAMES = ['deep-x.txt', 'deep.txt', 'Zebra.txt', 'a/b.txt', 'a-b.txt'];
const PUBLIC = 'media';
const PRIVATE = 'private-docs';

interface Seed {
  bucket: string;
  name: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

const seeds: Seed[] = [];
let api: StorageStandIn;
let s3rver: S3rverProcess;
let s3: S3Client;
const services: Services[] = [];
const sources: StorageSource[] = [];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dbUrl = () => {
  const url = new URL(inject('stack').postgresUrl);
  url.pathname = `/${DATABASE}`;
  return url.toString();
};

beforeAll(async () => {
  [api, s3rver] = await Promise.all([
    startSupabaseStorageApi({ serviceKey: SERVICE_KEY }),
    startS3rverProcess(),
  ]);
  s3 = s3Client(s3rver.endpoint);
  api.createBucket(PUBLIC, { public: true });
  api.createBucket(PRIVATE, { public: false });
  for (const bucket of [PUBLIC, PRIVATE]) {
    await createBucket(s3, bucket);
    const names = bucket === PUBLIC ? [...AWKWARD_NAMES, ...ORDER_NAMES] : ['only.txt', 'sub/one.txt'];
    for (const [i, name] of names.entries()) {
      const body = name === 'empty.bin' ? Buffer.alloc(0) : Buffer.from(`${bucket} ${name} `.repeat(i + 1));
      const contentType = name.endsWith('.json') ? 'application/json' : 'text/plain';
      const seed = { bucket, name, body, contentType, cacheControl: 'max-age=60' };
      seeds.push(seed);
      api.putObject(bucket, name, body, { mimetype: contentType, cacheControl: seed.cacheControl });
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: name,
          Body: body,
          ContentType: contentType,
          CacheControl: seed.cacheControl,
        }),
      );
    }
  }
  const admin = new pg.Client({ connectionString: inject('stack').postgresUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const client = new pg.Client({ connectionString: dbUrl() });
  await client.connect();
  await api.mirrorToPostgres(client);
  await client.end();
}, 60_000);

afterAll(async () => {
  for (const s of sources) await s.close();
  for (const s of services) await s.close();
  s3?.destroy();
  await Promise.all([api?.stop(), s3rver?.stop()]);
  const admin = new pg.Client({ connectionString: inject('stack').postgresUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
});

interface Implementation {
  name: string;
  /** The part of source.supabase that selects and reaches this mode. */
  supabase(): Record<string, unknown>;
  /** Whether this configuration can tell public from private buckets. */
  knowsVisibility: boolean;
  /** Whether a listing carries the content type (the S3 listing does not; opening the object does). */
  listsContentType: boolean;
  /** Puts a wrong credential into this mode's config, and the config field a user must then fix. */
  badCredential: { patch: (supabase: Record<string, unknown>) => void; field: string };
}

const wrongServiceKey = {
  patch: (supabase: Record<string, unknown>) => {
    supabase.serviceRoleKey = 'not-the-service-key';
  },
  field: 'source.supabase.serviceRoleKey',
};
// s3rver checks the access key id but not SigV4 signatures, so the wrong credential is the key id.
const wrongS3Key = {
  patch: (supabase: Record<string, unknown>) => {
    (supabase.storage as Record<string, unknown>).s3AccessKeyId = 'not-the-key-id';
  },
  field: 'source.supabase.storage.s3AccessKeyId',
};

const s3Storage = () => ({
  mode: 's3',
  s3Endpoint: s3rver.endpoint,
  s3AccessKeyId: LOCAL_CREDENTIALS.accessKeyId,
  s3SecretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
  pageSize: PAGE,
});

const implementations: Implementation[] = [
  {
    name: 'db mode (storage.objects + Storage API bodies)',
    supabase: () => ({
      dbUrl: dbUrl(),
      apiUrl: api.url,
      serviceRoleKey: SERVICE_KEY,
      storage: { mode: 'db', pageSize: PAGE },
    }),
    knowsVisibility: true,
    listsContentType: true,
    badCredential: wrongServiceKey,
  },
  {
    name: 'api mode (Storage API stand-in)',
    supabase: () => ({
      apiUrl: api.url,
      serviceRoleKey: SERVICE_KEY,
      storage: { mode: 'api', pageSize: PAGE },
    }),
    knowsVisibility: true,
    listsContentType: true,
    badCredential: wrongServiceKey,
  },
  {
    name: 's3 mode with Storage API access (s3rver)',
    supabase: () => ({ apiUrl: api.url, serviceRoleKey: SERVICE_KEY, storage: s3Storage() }),
    knowsVisibility: true,
    listsContentType: false,
    badCredential: wrongS3Key,
  },
  {
    name: 's3 mode, S3 keys only (s3rver)',
    supabase: () => ({ storage: s3Storage() }),
    knowsVisibility: false,
    listsContentType: false,
    badCredential: wrongS3Key,
  },
];

function open(
  impl: Implementation,
  patch: (supabase: Record<string, unknown>) => void = () => {},
): StorageSource {
  const raw = filesConfig({ s3Endpoint: s3rver.endpoint, targetBucket: 'unused' });
  const supabase = impl.supabase();
  patch(supabase);
  (raw.source as { supabase: Record<string, unknown> }).supabase = supabase;
  const config = loadTestConfig(raw).config;
  const svc = createServices(config.target.aws);
  services.push(svc);
  const source = createStorageSource(config, svc);
  sources.push(source);
  return source;
}

async function listAll(source: StorageSource, bucket: string, after?: string) {
  const batches: { items: StorageObject[]; last: string | null; bucket: string }[] = [];
  for await (const b of source.listObjects(bucket, after === undefined ? {} : { after })) {
    batches.push({
      items: b.items,
      last: (b.cursor as { last: string | null }).last,
      bucket: (b.cursor as { bucket: string }).bucket,
    });
  }
  return batches;
}

async function bytes(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

const seeded = (bucket: string) => seeds.filter((s) => s.bucket === bucket);

describe.each(implementations)('StorageSource contract: $name', (impl) => {
  let source: StorageSource;
  beforeAll(() => {
    source = open(impl);
  });

  it('declares its mode and capabilities', () => {
    expect(['db', 'api', 's3']).toContain(source.mode);
    expect(source.capabilities).toEqual({ incremental: false, reversible: false, bulk: false });
    expect(typeof source.resumesAfterName).toBe('boolean');
  });

  it('lists the buckets, with visibility when the mode can know it', async () => {
    const buckets = await source.listBuckets();
    const byName = new Map(buckets.map((b) => [b.name, b]));
    expect([...byName.keys()].sort()).toEqual([PRIVATE, PUBLIC].sort());
    expect(byName.get(PUBLIC)?.public).toBe(impl.knowsVisibility ? true : undefined);
    expect(byName.get(PRIVATE)?.public).toBe(impl.knowsVisibility ? false : undefined);
  });

  it('lists every object once, in pages of at most pageSize, each cursor naming its last object', async () => {
    for (const bucket of [PUBLIC, PRIVATE]) {
      const batches = await listAll(source, bucket);
      const items = batches.flatMap((b) => b.items);
      const expected = seeded(bucket);
      expect(items.map((o) => o.name).sort(compareNames)).toEqual(
        expected.map((s) => s.name).sort(compareNames),
      );
      for (const b of batches) {
        expect(b.items.length).toBeGreaterThan(0);
        expect(b.items.length).toBeLessThanOrEqual(PAGE);
        expect(b.bucket).toBe(bucket);
        expect(b.last).toBe(b.items[b.items.length - 1]?.name);
      }
      for (const o of items) {
        const seed = expected.find((s) => s.name === o.name) as Seed;
        expect(o.bucket).toBe(bucket);
        expect(o.size, o.name).toBe(seed.body.length);
        if (impl.listsContentType) expect(o.contentType, o.name).toBe(seed.contentType);
        expect(Number.isNaN(Date.parse(o.lastModified ?? '')), o.name).toBe(false);
      }
    }
  });

  it('name order: byte order and an exact resume when it declares resumesAfterName, else a full re-list', async () => {
    const names = (await listAll(source, PUBLIC)).flatMap((b) => b.items.map((o) => o.name));
    const sorted = [...names].sort(compareNames);
    if (source.resumesAfterName) {
      expect(names).toEqual(sorted);
      for (const after of [
        'deep-x.txt',
        'deep/a/b/c/d.json',
        'plain.txt',
        sorted[sorted.length - 1] as string,
      ]) {
        const rest = (await listAll(source, PUBLIC, after)).flatMap((b) => b.items.map((o) => o.name));
        expect(rest, `after ${after}`).toEqual(sorted.filter((n) => compareNames(n, after) > 0));
      }
    } else {
      // The folder walk's order is the server's: a resume must not skip anything, so it re-lists it all.
      const rest = (await listAll(source, PUBLIC, 'plain.txt')).flatMap((b) => b.items.map((o) => o.name));
      expect([...rest].sort(compareNames)).toEqual(sorted);
    }
  });

  it('opens each body byte for byte, with its content type and cache control', async () => {
    for (const bucket of [PUBLIC, PRIVATE]) {
      const listed = (await listAll(source, bucket)).flatMap((b) => b.items);
      for (const object of listed) {
        const seed = seeded(bucket).find((s) => s.name === object.name) as Seed;
        const opened = await source.openObject(object);
        expect(opened, object.name).toBeDefined();
        if (!opened) continue;
        const body = await bytes(opened.body);
        expect(sha(body), object.name).toBe(sha(seed.body));
        expect(opened.contentType, object.name).toBe(seed.contentType);
        expect(opened.cacheControl, object.name).toBe(seed.cacheControl);
        if (opened.size !== undefined) expect(opened.size, object.name).toBe(seed.body.length);
      }
    }
  });

  it('opening an object that does not exist answers undefined (not an error)', async () => {
    const ghost: StorageObject = { bucket: PUBLIC, name: 'never/was here %.txt', size: 1 };
    expect(await source.openObject(ghost)).toBeUndefined();
  });

  it('a listing of an empty prefix-free bucket range: resuming after the last name yields nothing', async () => {
    if (!source.resumesAfterName) return;
    const names = (await listAll(source, PRIVATE)).flatMap((b) => b.items.map((o) => o.name));
    expect(await listAll(source, PRIVATE, names[names.length - 1])).toEqual([]);
  });

  it('a refused credential is a config error naming the field to fix (where the mode first needs it)', async () => {
    const bad = open(impl, impl.badCredential.patch);
    const attempt = async () => {
      await bad.listBuckets();
      for await (const batch of bad.listObjects(PUBLIC)) {
        const first = batch.items[0];
        if (first) await bad.openObject(first);
        break;
      }
    };
    const e = await attempt().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(EngifyError);
    expect(e).toMatchObject({ kind: 'config' });
    const text = `${(e as EngifyError).message} ${(e as EngifyError).hint ?? ''}`;
    expect(text).toContain(impl.badCredential.field);
    expect(text).not.toContain('not-the-');
  });
});
