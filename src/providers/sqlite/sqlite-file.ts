import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';

// Opening a SQLite database file to migrate it: read-only, never creating or changing anything beside
// it. better-sqlite3 rather than node:sqlite: Node 20 (the engines floor) has no node:sqlite (it came in
// 22.5, behind a flag until 23.4), and better-sqlite3's iterate() streams a range row by row, which the
// copy needs. It is an optionalDependency (a native build), so it is loaded on first use and its
// absence is a clear error naming the package.
//
// Refused before anything is read: a missing file, a file that is not SQLite, a WAL file holding
// changes not yet checkpointed (the file alone is not the database then; we never write to the source
// to checkpoint it), a rollback journal (a write in progress or cut off), a lock held by a writer past
// the busy timeout, and a file PRAGMA quick_check finds corrupt.

const m = messages.sqlite;
const HEADER = Buffer.from('SQLite format 3\0', 'latin1');

type DatabaseCtor = new (
  filename: string,
  options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number },
) => Database;
let driver: Promise<DatabaseCtor> | undefined;

/** better-sqlite3, imported once; a clear error when it is not installed. */
export function loadSqliteDriver(): Promise<DatabaseCtor> {
  driver ??= import('better-sqlite3').then(
    (mod) => mod.default as unknown as DatabaseCtor,
    (error: unknown) => {
      driver = undefined;
      throw new EngifyError({
        code: 'SQLITE_DRIVER_MISSING',
        kind: 'config',
        message: m.driverMissing(
          error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
        ),
        hint: m.driverMissingHint,
        cause: error,
      });
    },
  );
  return driver;
}

const sizeOf = (path: string): number | undefined => {
  try {
    const s = statSync(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
};

function readHeader(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(100);
    const n = readSync(fd, header, 0, 100, 0);
    return header.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The header's file change counter: it moves on every committed write (rollback-journal mode). */
export function changeCounter(path: string): string {
  const h = readHeader(path);
  return h.length >= 28 ? String(h.readUInt32BE(24)) : '0';
}

const codeOf = (e: unknown) => (e as { code?: string }).code ?? '';

/** The checks that need no connection; throws the error to show. */
export function checkSqliteFile(path: string): void {
  const size = sizeOf(path);
  if (size === undefined)
    throw new EngifyError({
      code: 'SQLITE_FILE_MISSING',
      kind: 'config',
      message: m.fileMissing(path),
      hint: m.fileMissingHint,
    });
  let header: Buffer;
  try {
    header = readHeader(path);
  } catch (error) {
    throw new EngifyError({
      code: 'SQLITE_FILE_UNREADABLE',
      kind: 'config',
      message: m.unreadable(path, (error as Error).message),
      hint: m.unreadableHint,
      cause: error,
    });
  }
  if (size > 0 && (header.length < 16 || !header.subarray(0, 16).equals(HEADER)))
    throw new EngifyError({
      code: 'SQLITE_NOT_A_DATABASE',
      kind: 'config',
      message: m.notSqlite(path),
      hint: m.corruptHint,
    });
  const wal = sizeOf(`${path}-wal`);
  if (wal !== undefined && wal > 0)
    throw new EngifyError({
      code: 'SQLITE_WAL_PRESENT',
      kind: 'config',
      message: m.walPresent(path, wal),
      hint: m.walPresentHint,
    });
  const journal = sizeOf(`${path}-journal`);
  if (journal !== undefined && journal > 0)
    throw new EngifyError({
      code: 'SQLITE_HOT_JOURNAL',
      kind: 'config',
      message: m.hotJournal(path),
      hint: m.hotJournalHint,
    });
}

export interface OpenOptions {
  /** How long a read waits for a writer's lock before the file counts as locked. */
  busyTimeoutMs: number;
  /** Run PRAGMA quick_check (once per plan or apply: it reads every page). */
  check?: boolean;
}

/** Maps a driver error to the message to show (locked, corrupt), or undefined for anything else. */
export function sqliteProblem(path: string, error: unknown, busyTimeoutMs: number): EngifyError | undefined {
  const code = codeOf(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_'))
    return new EngifyError({
      code: 'SQLITE_LOCKED',
      kind: 'config',
      message: m.locked(path, busyTimeoutMs),
      hint: m.lockedHint,
      cause: error,
    });
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT_'))
    return new EngifyError({
      code: 'SQLITE_CORRUPT',
      kind: 'config',
      message: m.corrupt(path, [(error as Error).message]),
      hint: m.corruptHint,
      cause: error,
    });
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_READONLY_DIRECTORY')
    return new EngifyError({
      code: 'SQLITE_FILE_UNREADABLE',
      kind: 'config',
      message: m.unreadable(path, (error as Error).message),
      hint: m.unreadableHint,
      cause: error,
    });
  return undefined;
}

/** Opens the file read-only after the checks above; the connection holds no lock until a read begins. */
export async function openSqlite(path: string, options: OpenOptions): Promise<Database> {
  const Ctor = await loadSqliteDriver();
  checkSqliteFile(path);
  let db: Database | undefined;
  try {
    db = new Ctor(path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs });
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    if (options.check) {
      const rows = db.prepare('PRAGMA quick_check').raw(true).all() as [string][];
      const problems = rows.map((r) => String(r[0])).filter((r) => r !== 'ok');
      if (problems.length > 0)
        throw new EngifyError({
          code: 'SQLITE_CORRUPT',
          kind: 'config',
          message: m.corrupt(path, problems),
          hint: m.corruptHint,
        });
    }
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof EngifyError) throw error;
    throw sqliteProblem(path, error, options.busyTimeoutMs) ?? error;
  }
}
