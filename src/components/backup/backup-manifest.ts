import type { Json } from '../../core/contracts.js';
import type { Statement } from '../db/schema/statements.js';

// A backup is the objects under <prefix><id>/ and, written last, manifest.json: the list of every
// object with its size and SHA-256. A prefix without a manifest is an interrupted backup, never read.

export const MANIFEST_FORMAT = 'engify-migrate/backup@1';

export type BackupObjectKind =
  /** A table of the copied schemas (restored), COPY text, gzip. */
  | 'table'
  /** The target's auth.users shim columns (restored, so foreign keys into it hold). */
  | 'auth-shim'
  /** Every column of auth.users / auth.identities, password hashes included: encrypted, kept, not restored. */
  | 'auth'
  /** Supabase Storage metadata (storage.buckets, storage.objects): kept, not restored. */
  | 'storage'
  /** The schema as statements (restored first and last). */
  | 'schema'
  /** A Qdrant collection snapshot (restorable with Qdrant's snapshot upload). */
  | 'qdrant';

export interface BackupObject {
  key: string;
  kind: BackupObjectKind;
  bytes: number;
  sha256: string;
  /** For tables: schema, name and columns as dumped. */
  table?: { schema: string; name: string; columns: string[] };
  /** For Qdrant snapshots: the collection. */
  collection?: string;
  encryption?: 'aws:kms' | 'AES256';
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  /** When the database snapshot was taken (the source's now() inside it). */
  takenAt: string;
  /** The source's WAL position at the snapshot. */
  lsn: string;
  objects: BackupObject[];
}

export interface SchemaDocument {
  preLoad: Statement[];
  postLoad: Statement[];
  sequences: { schema: string; name: string; lastValue: string | null }[];
}

/** A backup id is its start time in UTC, sortable: 20261203T091500Z. */
export function newBackupId(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export const isBackupId = (s: string) => /^\d{8}T\d{6}Z$/.test(s);

export function manifestKey(prefix: string, id: string): string {
  return `${prefix}${id}/manifest.json`;
}

export function parseManifest(text: string): BackupManifest | undefined {
  try {
    const m = JSON.parse(text) as BackupManifest;
    return m.format === MANIFEST_FORMAT && Array.isArray(m.objects) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** What the journal keeps of the last complete backup (cutover reads it). */
export interface BackupRecord {
  id: string;
  takenAt: string;
  bucket: string;
  prefix: string;
  objects: number;
  bytes: number;
}

export function backupRecordOf(value: Json | undefined): BackupRecord | undefined {
  const v = value as Partial<BackupRecord> | undefined;
  return v && typeof v.id === 'string' && typeof v.takenAt === 'string' ? (v as BackupRecord) : undefined;
}
