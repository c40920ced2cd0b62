import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Client } from 'pg';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { Services } from '../../core/services.js';
import { canonicalSession, copyTableIn, tablesWithRows } from '../../providers/postgres/dump-stream.js';
import { createPgExecutor } from '../../providers/postgres/pg-executor.js';
import { qualified } from '../../providers/postgres/sql-text.js';
import { type BackupStore, backupStore } from '../../providers/s3/backup-store.js';
import { HashingStream } from '../../providers/s3/hashing-stream.js';
import { applyPostLoad, applyPreLoad } from '../db/schema/apply.js';
import {
  type BackupManifest,
  type BackupObject,
  isBackupId,
  manifestKey,
  parseManifest,
  type SchemaDocument,
} from './backup-manifest.js';

// `engify-migrate restore --backup <id> --to <url>`: the database part of a backup into a fresh
// server. Refused (nothing written) when any table there holds a row. The schema's pre-load
// statements run in one transaction, each table's rows stream in by COPY (gunzip'd, SHA-256 checked
// against the manifest as they pass), then keys, indexes and foreign keys, then sequence positions.

export interface RestoreOutcome {
  id: string;
  tables: number;
  rows: number;
}

export async function completeBackups(store: BackupStore, prefix: string): Promise<string[]> {
  const keys = await store.list(prefix);
  return keys
    .filter((k) => k.endsWith('/manifest.json'))
    .map((k) => k.slice(prefix.length, -'/manifest.json'.length))
    .filter(isBackupId)
    .sort();
}

export async function readBackup(
  store: BackupStore,
  bucket: string,
  prefix: string,
  id: string,
): Promise<BackupManifest> {
  const text = isBackupId(id) ? await store.getText(manifestKey(prefix, id)) : undefined;
  const manifest = text ? parseManifest(text) : undefined;
  if (!manifest) {
    throw new EngifyError({
      code: 'RESTORE_NO_BACKUP',
      kind: 'config',
      message: messages.backup.unknownBackup(id, bucket, prefix),
      hint: messages.backup.unknownBackupHint(await completeBackups(store, prefix)),
    });
  }
  return manifest;
}

export async function restoreBackup(
  services: Services,
  options: { bucket: string; prefix: string; id: string; to: string; log(m: string): void },
): Promise<RestoreOutcome> {
  const store = backupStore(await services.s3(), options.bucket);
  const manifest = await readBackup(store, options.bucket, options.prefix, options.id);
  const target: Client = await services.pg(options.to);
  try {
    const occupied = await tablesWithRows(target);
    if (occupied.length > 0) {
      throw new EngifyError({
        code: 'RESTORE_NOT_EMPTY',
        kind: 'config',
        message: messages.backup.notEmpty(occupied),
        hint: messages.backup.notEmptyHint,
      });
    }
    const schemaObject = manifest.objects.find((o) => o.kind === 'schema');
    if (!schemaObject) throw new Error(`backup ${manifest.id} has no schema object`);
    const schema = JSON.parse((await verifiedText(store, schemaObject)).toString('utf8')) as SchemaDocument;
    const executor = await createPgExecutor({ connect: () => services.pg(options.to), copy: false });
    try {
      await applyPreLoad(executor, schema.preLoad, { intent: () => {}, created: () => {} });
      await canonicalSession(target);
      let rows = 0;
      const tables = manifest.objects.filter((o) => o.kind === 'table' || o.kind === 'auth-shim');
      for (const o of tables) {
        const t = o.table!;
        // One transaction a table, so an object that fails its checksum leaves its table empty; triggers
        // stay off while rows go in, as pg_restore loads data (session_replication_role).
        await target.query('BEGIN');
        try {
          await target.query('SET LOCAL session_replication_role = replica');
          const { body, verified } = await verifiedStream(store, o);
          await copyTableIn(target, t, body);
          await verified;
          await target.query('COMMIT');
        } catch (error) {
          await target.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        const { rows: n } = await target.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${qualified(t.schema, t.name)}`,
        );
        rows += Number(n[0]?.n ?? 0);
        options.log(`${t.schema}.${t.name}: ${n[0]?.n ?? 0} row(s)`);
      }
      await applyPostLoad(executor, { postLoad: schema.postLoad });
      for (const q of schema.sequences) {
        if (q.lastValue === null) continue;
        await target.query(`SELECT pg_catalog.setval($1, $2::bigint, true)`, [
          qualified(q.schema, q.name),
          q.lastValue,
        ]);
      }
      return { id: manifest.id, tables: tables.length, rows };
    } finally {
      await executor.close();
    }
  } finally {
    await target.end().catch(() => undefined);
  }
}

/**
 * The object's bytes through gunzip, and a promise that settles once the whole object has passed:
 * rejected when its SHA-256 is not the manifest's (the caller's transaction then rolls back).
 */
async function verifiedStream(
  store: BackupStore,
  o: BackupObject,
): Promise<{ body: Readable; verified: Promise<void> }> {
  const hasher = new HashingStream();
  const out = new PassThrough();
  const body = await store.getStream(o.key);
  const verified = pipeline(body, hasher, createGunzip(), out).then(() => {
    if (hasher.digest() !== o.sha256) throw mismatch(o.key);
  });
  verified.catch((e) => out.destroy(e));
  return { body: out, verified };
}

async function verifiedText(store: BackupStore, o: BackupObject): Promise<Buffer> {
  const hasher = new HashingStream();
  const chunks: Buffer[] = [];
  await pipeline(await store.getStream(o.key), hasher, async function* (source) {
    for await (const c of source) chunks.push(c as Buffer);
    yield* [];
  });
  if (hasher.digest() !== o.sha256) throw mismatch(o.key);
  return Buffer.concat(chunks);
}

function mismatch(key: string): EngifyError {
  return new EngifyError({
    code: 'RESTORE_CHECKSUM',
    kind: 'system',
    message: messages.backup.checksumMismatch(key),
    hint: messages.backup.checksumMismatchHint,
  });
}
