import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Client } from 'pg';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { StepContext } from '../../core/step.js';
import { readTables } from '../../providers/postgres/catalog.js';
import { beginDumpSnapshot, copyTableOut, type DumpTable } from '../../providers/postgres/dump-stream.js';
import { qdrantSnapshots } from '../../providers/qdrant/snapshots.js';
import { backupStore, isAccessDenied } from '../../providers/s3/backup-store.js';
import { type Encryption, type StreamedObject, uploadStream } from '../../providers/s3/stream-object.js';
import { translateSource } from '../db/db-schema.js';
import { AUTH_USERS_COLUMNS } from '../db/schema/auth-shim.js';
import {
  type BackupManifest,
  type BackupObject,
  MANIFEST_FORMAT,
  manifestKey,
  type SchemaDocument,
} from './backup-manifest.js';
import { type BackupSettings, RETENTION_RULE_ID } from './backup-settings.js';

// One backup: the schema (as the statements db.schema applies, so a restore rebuilds what the copy
// builds), every copied table's rows as COPY text, gzip'd, all read in ONE repeatable-read snapshot;
// the Auth users with their hashes and Storage metadata as separate objects (the users encrypted with
// SSE-KMS when a key is configured, else SSE-S3); each Qdrant collection through Qdrant's snapshot API
// (created, streamed up, deleted from the server); and last the manifest. Every object is streamed:
// nothing is spooled to disk and memory stays at a few upload parts whatever the data size.
//
// A rerun of an interrupted backup takes it again under the same id, from a fresh snapshot: objects are
// replaced whole (S3 writes are atomic, and a multipart upload killed midway is not an object), any
// key of the first attempt that the second does not write is deleted, and only then is the manifest
// written. So the prefix holds exactly one complete backup, or no manifest at all.

export interface BackupOutcome {
  manifest: BackupManifest;
  bytes: number;
}

const SHIM = new Set(AUTH_USERS_COLUMNS.map((c) => c.name));
const SECRET_COLUMN = /password|token|secret/i;

export async function takeBackup(ctx: StepContext, s: BackupSettings, id: string): Promise<BackupOutcome> {
  const client = await ctx.services.s3();
  const store = backupStore(client, s.bucket);
  const region = await store.region();
  if (region !== ctx.config.target.aws.region) {
    throw new EngifyError({
      code: 'BACKUP_BUCKET_REGION',
      kind: 'config',
      message: messages.backup.wrongRegion(s.bucket, region, ctx.config.target.aws.region),
      hint: messages.backup.wrongRegionHint,
    });
  }
  if (!(await store.setRetention(RETENTION_RULE_ID, s.prefix, s.retentionDays)))
    ctx.log(messages.backup.noLifecycle(s.bucket));
  const base = `${s.prefix}${id}/`;
  const previous = new Set(await store.list(base));
  const schema = await translateSource(ctx);
  const objects: BackupObject[] = [];
  const put = async (
    key: string,
    kind: BackupObject['kind'],
    body: NodeJS.ReadableStream,
    extra: Partial<BackupObject> = {},
    encryption?: Encryption,
  ): Promise<StreamedObject> => {
    const full = `${base}${key}`;
    let out: StreamedObject;
    try {
      out = await uploadStream(client, {
        bucket: s.bucket,
        key: full,
        body: body as Readable,
        contentType: key.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream',
        ...(encryption ? { encryption } : {}),
        signal: ctx.signal,
      });
    } catch (error) {
      if (encryption?.kmsKeyId && isAccessDenied(error)) {
        throw new EngifyError({
          code: 'BACKUP_KMS_DENIED',
          kind: 'config',
          message: messages.backup.kmsDenied(encryption.kmsKeyId, s.bucket),
          hint: messages.backup.kmsDeniedHint,
          cause: error,
        });
      }
      throw error;
    }
    objects.push({
      key: full,
      kind,
      bytes: out.bytes,
      sha256: out.sha256,
      ...extra,
      ...(encryption ? { encryption: encryption.kmsKeyId ? 'aws:kms' : 'AES256' } : {}),
    });
    previous.delete(full);
    ctx.log(messages.backup.uploaded(full, out.bytes));
    ctx.progress({ done: objects.length, unit: 'objects' });
    return out;
  };

  const db: Client = await ctx.services.pg(s.sourceUrl);
  let snapshot: { lsn: string; at: string };
  try {
    snapshot = await beginDumpSnapshot(db);
    for (const t of schema.copyTables) {
      const table: DumpTable = { schema: t.schema, name: t.name, columns: t.columns };
      await put(`db/${t.schema}.${t.name}.copy.gz`, 'table', gz(copyTableOut(db, table)), { table });
    }
    if (s.supabase) await authAndStorage(db, s, schema.authShim, put);
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await db.end().catch(() => undefined);
  }
  const doc: SchemaDocument = {
    preLoad: schema.preLoad,
    postLoad: schema.postLoad,
    sequences: schema.sequences,
  };
  await put('schema.json', 'schema', readableOf(`${JSON.stringify(doc)}\n`));
  try {
    await qdrantCollections(ctx, put);
  } catch (error) {
    // No room on the Qdrant server for a snapshot: a rerun would fail the same way until the disk is
    // freed, so leave no part of this backup behind (it has no manifest: it never was a backup).
    if (error instanceof EngifyError && error.code === 'BACKUP_QDRANT_NO_SPACE')
      for (const key of [...objects.map((o) => o.key), ...previous])
        if (!key.endsWith('/manifest.json')) await store.delete(key).catch(() => undefined);
    throw error;
  }

  for (const stale of previous) if (!stale.endsWith('/manifest.json')) await store.delete(stale);
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    id,
    takenAt: snapshot.at,
    lsn: snapshot.lsn,
    objects,
  };
  await store.putJson(manifestKey(s.prefix, id), manifest);
  return { manifest, bytes: objects.reduce((n, o) => n + o.bytes, 0) };
}

type Put = (
  key: string,
  kind: BackupObject['kind'],
  body: NodeJS.ReadableStream,
  extra?: Partial<BackupObject>,
  encryption?: Encryption,
) => Promise<StreamedObject>;

/** auth.users (hashes and all) and auth.identities encrypted; the shim's columns; Storage metadata. */
async function authAndStorage(db: Client, s: BackupSettings, shim: boolean, put: Put): Promise<void> {
  const encryption: Encryption = s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {};
  const present = await readTables(db, ['auth', 'storage']);
  for (const t of present) {
    const key = `${t.schema}.${t.name}`;
    const all = t.columns.filter((c) => !c.generated).map((c) => c.name);
    if (key === 'auth.users' || key === 'auth.identities') {
      const table = { schema: t.schema, name: t.name, columns: all };
      await put(`auth/${t.name}.copy.gz`, 'auth', gz(copyTableOut(db, table)), { table }, encryption);
    }
    if (key === 'auth.users' && shim) {
      const columns = all.filter((c) => SHIM.has(c) && !SECRET_COLUMN.test(c));
      const table = { schema: 'auth', name: 'users', columns };
      await put('db/auth.users.shim.copy.gz', 'auth-shim', gz(copyTableOut(db, table)), { table });
    }
    if (key === 'storage.buckets' || key === 'storage.objects') {
      const table = { schema: t.schema, name: t.name, columns: all };
      await put(`storage/${t.name}.copy.gz`, 'storage', gz(copyTableOut(db, table)), { table });
    }
  }
}

/** Each selected collection: snapshot on the server, streamed to S3, then deleted from the server. */
async function qdrantCollections(ctx: StepContext, put: Put): Promise<void> {
  const q = ctx.config.source.qdrant;
  if (!q) return;
  const { createQdrantSource } = await import('../../providers/qdrant/qdrant-source.js');
  const names = await (await createQdrantSource(q, ctx.signal)).collections();
  const api = qdrantSnapshots(q);
  for (const name of names) {
    let snap: { name: string };
    try {
      snap = await api.create(name);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (/No space left on device|os error 28/i.test(text)) {
        const source = await createQdrantSource(q, ctx.signal);
        const info = await source.describe(name);
        const points = await source.count(name);
        // The snapshot holds every vector (4 bytes a dimension), the payloads and up to a WAL segment
        // (32 MiB by default): an estimate from what Qdrant reports, stated as "about".
        const needed = points * (info.dims * 4 + 256) + 32 * 1024 * 1024;
        // Qdrant names the file it was writing ("<snapshots_path>/<name>.tmp"), inside its JSON answer.
        const file = text.match(/\\?"(\.{0,2}\/[^"\\]+)\\?"/)?.[1];
        const dir = file ? file.replace(/\/[^/]*$/, '') : messages.backup.qdrantSnapshotDirUnknown;
        throw new EngifyError({
          code: 'BACKUP_QDRANT_NO_SPACE',
          kind: 'config',
          message: messages.backup.qdrantNoSpace(name, dir, needed),
          hint: messages.backup.qdrantNoSpaceHint,
          detail: text,
          cause: error,
        });
      }
      throw new EngifyError({
        code: 'BACKUP_QDRANT_SNAPSHOT',
        kind: 'transient',
        message: messages.backup.qdrantSnapshotFailed(
          name,
          error instanceof Error ? error.message : String(error),
        ),
        hint: messages.backup.qdrantSnapshotHint,
        cause: error,
      });
    }
    try {
      await put(`qdrant/${name}.snapshot`, 'qdrant', await api.download(name, snap.name), {
        collection: name,
      });
    } finally {
      await api.delete(name, snap.name).catch(() => undefined);
    }
  }
}

function gz(stream: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const zip = createGzip({ level: 1 });
  stream.on('error', (e) => zip.destroy(e as Error));
  return stream.pipe(zip);
}

function readableOf(text: string): NodeJS.ReadableStream {
  return Readable.from([Buffer.from(text)]);
}
