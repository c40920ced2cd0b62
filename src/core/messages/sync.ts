// User-facing text of the sync component. Re-exported through src/ui/messages.ts as messages.sync.

const resumeHint = (stream: string) =>
  `Run \`engify-migrate apply --phase 1\` so db.schema re-applies the changed table on the target, then \`engify-migrate sync\`: it resumes stream "${stream}" from the last applied position, nothing is lost.`;

export const syncMessages = {
  schemaChanged: (table: string, differences: string[], stream: string) =>
    `Sync stopped: the schema of ${table} changed on the source (${differences.join('; ')}). No change after the last applied position of stream "${stream}" was written.`,
  schemaChangedHint: resumeHint,
  missingTargetTable: (table: string, side: string) =>
    `Sync stopped: table ${table} does not exist on the ${side}.`,
  missingTargetTableHint: resumeHint,
  noPrimaryKey: (tables: string[]) =>
    `Cannot sync ${tables.join(', ')}: no primary key and REPLICA IDENTITY is not FULL, so updates and deletes could not be matched on the target.`,
  noPrimaryKeyHint: (tables: string[]) =>
    `Add a primary key, or run ${tables.map((t) => `ALTER TABLE ${t} REPLICA IDENTITY FULL;`).join(' ')} on the source, then run sync again.`,
  slotMissing: (slot: string, host: string) => `Replication slot "${slot}" does not exist on ${host}.`,
  slotMissingHint:
    'The slot is created by db.copy together with its snapshot; run `engify-migrate apply --phase 2` (or set sync.slot to the right name).',
  slotBusy: (slot: string, pid: number) =>
    `Replication slot "${slot}" is in use by another process (pid ${pid}).`,
  slotBusyHint: 'Another sync is probably running: stop it first (only one reader per slot is possible).',
  publicationMissing: (publication: string, host: string) =>
    `Publication "${publication}" does not exist on ${host}.`,
  publicationMissingHint:
    'It is created by db.copy; run `engify-migrate apply --phase 2` (or set sync.publication).',
  noStartPosition: (stream: string) =>
    `Stream "${stream}" has no applied position on the target and no start position was given.`,
  noStartPositionHint:
    'Sync starts from the snapshot db.copy recorded; run `engify-migrate apply --phase 2` first so the copy and its start position exist.',
  applyFailed: (table: string, op: string, detail: string) =>
    `Applying a ${op} to ${table} failed: ${detail}.`,
  applyFailedHint:
    'The target rejected a change the source accepted: check constraints or triggers that exist only on the target. Fix them and rerun `engify-migrate sync`; it resumes from the last applied position.',
  logicalUnavailable: (host: string, reason: string) =>
    `Logical decoding is not available on ${host}: ${reason}.`,
  logicalUnavailableHint:
    'Grant REPLICATION to the user and set wal_level=logical (on RDS: rds.logical_replication=1), or set sync.mode to "trigger" to capture changes with triggers instead.',
  originUnavailable: (host: string, reason: string) =>
    `Cannot set up the replication origin on ${host} (${reason}); without it, changes applied here would be captured back.`,
  originUnavailableHint:
    'The applying user needs permission to run pg_replication_origin_create/pg_replication_origin_session_setup (superuser or rds_superuser, or GRANT EXECUTE on those functions).',
  drainTimeout: (stream: string, seconds: number, lag: string) =>
    `Stream "${stream}" did not catch up within ${seconds}s (lag ${lag}).`,
  drainTimeoutHint:
    'Check `engify-migrate status` for the last sync error; make sure nothing still writes to the old side.',
  stopped: (stream: string) => `Sync stream "${stream}" is not running.`,
  stoppedHint: 'Start it with `engify-migrate sync`.',
  reconnecting: (stream: string, side: string, reason: string, delayMs: number) =>
    `Sync "${stream}": lost the ${side} connection (${reason}); reconnecting in ${Math.round(delayMs)} ms.`,
  triggersInstalled: (count: number) => `Change-capture triggers installed on ${count} table(s).`,
  fallbackToTrigger: (reason: string) => `Logical decoding unavailable (${reason}); using trigger capture.`,
  noChangeCapture: (kind: string, field: string) =>
    `Sync refused: the ${kind} source (${field}) has no change capture, so changes made after the copy cannot be streamed to the target.`,
  noChangeCaptureHint:
    'Stop the app writing to the source, then rerun `engify-migrate apply` (db.copy copies again what changed: run `engify-migrate rollback --phase 2` first for an exact recopy) and `engify-migrate verify`; then switch the app to the target.',
} as const;
