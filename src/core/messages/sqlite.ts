// User-facing text of the SQLite source (providers/sqlite and its dialect). Re-exported as messages.sqlite.

const FIELD = 'source.sqlite.path';

export const sqliteMessages = {
  driverMissing: (reason: string) =>
    `The SQLite source needs the better-sqlite3 package, which could not be loaded (${reason}).`,
  driverMissingHint:
    'Install it beside engify-migrate (`npm install better-sqlite3`; it builds a native module, so a C++ toolchain may be needed), then rerun the command.',
  fileMissing: (path: string) => `${FIELD} names ${path}, which does not exist or is not a file.`,
  fileMissingHint: `Set ${FIELD} to the SQLite database file the app uses.`,
  notSqlite: (path: string) =>
    `${path} (${FIELD}) is not a SQLite database: its header is not "SQLite format 3".`,
  corrupt: (path: string, problems: string[]) =>
    `${path} (${FIELD}) is corrupt: PRAGMA quick_check reported ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` and ${problems.length - 5} more` : ''}. Nothing was read or written.`,
  corruptHint:
    'Recover the file first (sqlite3 <file> ".recover" | sqlite3 recovered.db, or restore a backup), point source.sqlite.path at the result, then rerun plan.',
  walPresent: (path: string, bytes: number) =>
    `${path}-wal holds ${bytes} byte(s) of changes not yet written back into ${path} (${FIELD}): the file alone is not the database, and engify-migrate never writes to the source to checkpoint it.`,
  walPresentHint:
    'Stop the app, then run `sqlite3 <file> "PRAGMA wal_checkpoint(TRUNCATE);"` (it folds the WAL into the file and empties it), and rerun the command.',
  hotJournal: (path: string) =>
    `${path}-journal exists: a write to ${path} (${FIELD}) is in progress or was cut off by a crash.`,
  hotJournalHint:
    'Stop the app; if the journal remains, open the file once with sqlite3 (it rolls the cut-off write back), then rerun the command.',
  locked: (path: string, waitedMs: number) =>
    `${path} (${FIELD}) is locked by another process (it is writing), and stayed locked for ${waitedMs} ms.`,
  lockedHint:
    'Stop the app writing to the file (a migration from SQLite needs the app stopped anyway: there is no change capture), then rerun the command.',
  unreadable: (path: string, reason: string) => `Cannot read ${path} (${FIELD}): ${reason}.`,
  unreadableHint: 'Check the path and that this user may read the file and its directory.',
  planNoCapture:
    'SQLite has no change capture: stop the app writing to the file before apply and keep it stopped until cutover (sync is refused; a write after the copy would not reach the target).',
  ruleBoolean: (seen: string) => `declared BOOLEAN and every value is ${seen}: copied as boolean`,
  ruleTimestamp: (how: string) => `${how}: copied as timestamptz`,
  ruleDate: () => `declared DATE and every value is YYYY-MM-DD text: copied as date`,
  ruleKeptText: (declared: string, why: string) => `declared ${declared} but ${why}: copied as text`,
  ruleWidened: (declared: string) =>
    `declared ${declared} but holds values outside its PostgreSQL range: widened to bigint`,
  ruleIdentity: (autoincrement: boolean) =>
    `INTEGER PRIMARY KEY (the rowid): bigint identity, its sequence set past the ${autoincrement ? 'AUTOINCREMENT counter and the ' : ''}largest key`,
  ruleReal: (declared: string) =>
    `declared ${declared} (8-byte in SQLite): double precision, not PostgreSQL's 4-byte real`,
  ruleChar: (declared: string) => `declared ${declared}: varchar (PostgreSQL char(n) would pad with spaces)`,
  fkViolations: (rows: number) =>
    `${rows} row(s) violate it (PRAGMA foreign_key_check; the app ran with foreign_keys off): not created`,
  fkNoKey: () => `the referenced columns are not a primary key or unique index: not created`,
  indexSkipped: (why: string) => `${why}: not created`,
  viewSkipped: (why: string) => `${why}: not created`,
  defaultSkipped: (expr: string) => `default ${expr} has no PostgreSQL equivalent: dropped`,
  checksSkipped: () =>
    `CHECK constraints are not carried over (SQLite keeps them only in its CREATE TABLE text)`,
  triggerSkipped: (trigger: string) => `${trigger}: SQLite triggers are not translated`,
  generatedSkipped: () =>
    `a generated column: its values are copied into a plain column (the expression is SQLite's)`,
} as const;
