// User-facing text of the db.copy step (full load and parity checks). Re-exported as messages.dbCopy.

const size = (bytes: number) =>
  bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : bytes >= 1024 ** 2
      ? `${(bytes / 1024 ** 2).toFixed(1)} MiB`
      : `${Math.round(bytes / 1024)} KiB`;

export const dbCopyMessages = {
  title: 'Copy every table from one consistent snapshot',
  planSummary: (tables: number, rows: number, bytes: number, ranges: number, jobs: number) =>
    `copy ${tables} table(s), about ${rows.toLocaleString('en-US')} row(s) / ${size(bytes)}, in ${ranges} key range(s) with ${jobs} parallel job(s), from one snapshot`,
  planDone: 'every table is copied and its indexes, constraints and sequences are in place',
  noTables: (schemas: string[]) => `no tables in schema(s) ${schemas.join(', ')} on the source`,
  noPrimaryKey: (table: string) =>
    `${table} has no primary key: it is copied whole and verified by a whole-table hash, but sync cannot capture its changes by key (add a primary key or REPLICA IDENTITY FULL).`,
  textFormat: (table: string) =>
    `${table} uses user-defined types: copied in text COPY format (binary embeds type OIDs).`,
  resourceName: (database: string) => `rds database ${database}`,

  sourceUnreachable: (host: string, reason: string) =>
    `Cannot connect to the source database at ${host} (${reason}).`,
  sourceUnreachableHint:
    'Check source.supabase.dbUrl (host, port, password) and that this machine may connect (Supabase: use the direct or session-pooler connection, not the transaction pooler).',
  targetUnreachable: (host: string, reason: string) =>
    `Cannot connect to the target database at ${host} (${reason}).`,
  targetUnreachableHint: 'Check target.rds.url and the security group / VPN between this machine and RDS.',
  missingTargetTables: (tables: string[]) => `The target has no table ${tables.join(', ')}.`,
  missingTargetTablesHint:
    'Apply db.schema first (engify-migrate apply --phase 1); db.copy only loads tables that exist.',
  nonEmptyTargetTables: (tables: string[]) =>
    `Target table(s) ${tables.join(', ')} already hold rows that this tool did not load.`,
  nonEmptyTargetTablesHint:
    "Empty them yourself, or rerun with --force to replace their rows with the source's.",
  dataApiUnavailable:
    'rds.mode "data-api" needs the Data API executor, which is not available in this build.',
  dataApiUnavailableHint: 'Use rds.mode "pg" with a direct connection for now.',
  rowTooLarge: (table: string, bytes: number, limit: number) =>
    `A row of ${table} needs ${bytes} bytes in one request, over the target's limit of ${limit} bytes.`,
  rowTooLargeHint:
    'Load this table through a direct connection (rds.mode "pg"), or move its large values to S3 first.',
  copyFailed: (table: string, range: string, reason: string) =>
    `Copying ${table} ${range} failed: ${reason}.`,
  copyFailedHint: 'Rerun apply: finished ranges are kept, the failed range is deleted and copied again.',
  noSlotPrivilege: (reason: string) =>
    `Could not create a logical replication slot on the source (${reason}); copying under an exported snapshot without a slot.`,

  // progress / log lines
  slotCreated: (slot: string, lsn: string) => `replication slot ${slot} created with its snapshot at ${lsn}`,
  resumed: (slot: string | null, lsn: string, remaining: number) =>
    `resuming ${remaining} range(s) under a new snapshot at ${lsn}${slot ? `; slot ${slot} still holds the first snapshot's position, and sync replays from there (idempotent upserts) so the tables converge` : ''}`,
  slotLost: (slot: string) =>
    `replication slot ${slot} is gone or lost its WAL: copying every table again under a new slot and snapshot`,
  rangeDone: (table: string, index: number, total: number, rows: number) =>
    `${table} range ${index + 1}/${total}: ${rows} row(s)`,
  postLoadBuilt: (n: number) => `${n} index(es)/constraint(s) built after the load`,
  tableIndexesBuilt: (table: string, n: number) =>
    `${table}: ${n} index(es)/key(s) built while other tables load`,
  foreignKeysAttached: (table: string, n: number) =>
    `${table}: ${n} foreign key(s) attached before its load (the table was empty: nothing to check; the load keeps the source's references, and verify looks for orphans)`,
  foreignKeyNotAttached: (key: string, reason: string) =>
    `foreign key ${key} could not be attached before the load (${reason}); the post-load step adds and validates it`,
  earlyBuildFailed: (reason: string) =>
    `building indexes during the load stopped (${reason}); the post-load step builds them instead`,
  sequencesSet: (n: number) => `${n} sequence(s) set to the source's values`,
  publicationFailed: (name: string, reason: string) =>
    `Could not create publication ${name} on the source (${reason}); sync will need it created by the table owner.`,

  // verify
  checkRows: (table: string) => `db.copy parity ${table}`,
  checkRowsNoKey: (table: string) =>
    `db.copy parity ${table} (no primary key: whole-table hash, changes cannot be captured by key)`,
  rangePart: (s: { rows: string; hash: string }, t: { rows: string; hash: string }) =>
    s.rows === t.rows && s.hash === t.hash
      ? `${s.rows} row(s), hash ${s.hash.slice(0, 12)} on both sides`
      : `source ${s.rows} row(s) hash ${s.hash.slice(0, 12)}; target ${t.rows} row(s) hash ${t.hash.slice(0, 12)}`,
  rangeLabel: (index: number, lo: string | null, hi: string | null) =>
    `range ${index + 1} [${lo ?? '-inf'}, ${hi ?? '+inf'})`,
  rangesDiffer: (table: string, ranges: string[]) =>
    `${table} differs in ${ranges.join('; ')}. Rerun \`engify-migrate apply --phase 2\` after a rollback of db.copy, or let sync catch up if the source is live.`,
  checkForeignKey: (key: string) => `db.copy foreign key ${key} (attached before the load): no orphan rows`,
  orphans: (key: string, n: string) =>
    `${n} row(s) of ${key.split('.').slice(0, 2).join('.')} reference no row of the referenced table. If the source is live, let sync catch up and verify again; otherwise roll back db.copy and copy again.`,
  tableMissing: (table: string, reason: string) =>
    `${table} could not be read on both sides (${reason}); apply db.schema and db.copy first.`,
  checkSequence: (sequence: string) => `db.copy sequence ${sequence} at or past the source`,
  sequenceBehind: (sequence: string) =>
    `Set ${sequence} on the target with setval() to at least the source's value (rerun apply).`,
  verifyFailed: (reason: string) => `The parity check could not run: ${reason}.`,
  verifyFailedHint: 'Check that the source and the target are reachable, then run verify again.',
} as const;
