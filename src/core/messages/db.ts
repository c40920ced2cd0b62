// User-facing text of the db component. Re-exported through src/ui/messages.ts as messages.db.

const list = (items: string[], max = 8) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

export const dbMessages = {
  // db.schema step
  stepTitle: 'RDS database and translated schema',
  noSourceUrl:
    'db.schema needs a database source to read the schema from: neither source.supabase.dbUrl nor source.postgres.url is set.',
  noSourceUrlHint:
    'Set source.supabase.dbUrl to the Supabase database connection string (Settings > Database), or source.postgres.url for any other PostgreSQL.',
  sourceUnreachable: (host: string, reason: string) =>
    `Cannot connect to the source database at ${host} (${reason}).`,
  sourceUnreachableHint:
    'Check source.supabase.dbUrl (host, port, password) and that this machine may connect (Supabase network restrictions).',
  targetUnreachable: (where: string, reason: string) =>
    `Cannot reach the target database ${where} (${reason}).`,
  targetUnreachableHint:
    'Check target.rds (url, or resourceArn/secretArn with the Data API enabled), credentials and security groups, then rerun plan.',
  databaseMissing: (name: string) => `The target database "${name}" does not exist.`,
  databaseMissingHint:
    'Create it, or set target.rds.createDatabase to true so db.schema creates it (needs CREATEDB).',
  databaseCreate: (name: string) => `create database "${name}" on the target`,
  afterInstance: (id: string, statements: number) =>
    `translated schema (${statements} statements) on RDS instance ${id} once db.instance has made it (planned again then)`,
  databaseExists: (name: string) => `database "${name}" exists and is reachable`,
  schemaCreate: (create: number, present: number, postLoad: number) =>
    `create ${create} schema object(s) before the load (${present} already present); ${postLoad} index/constraint/policy statement(s) run after db.copy`,
  schemaInStep: (present: number) => `translated schema already present on the target (${present} object(s))`,
  versionTooOld: (source: number, target: number) =>
    `The source runs PostgreSQL ${source} and the target ${target}: a schema cannot move to an older major version.`,
  versionTooOldHint: (source: number) =>
    `Create the RDS instance with PostgreSQL ${source} or newer (engine version), then rerun plan.`,
  unsupportedExtensions: (names: string[]) =>
    `The target does not offer extension(s) the migrated schema uses: ${list(names)}. Nothing was written.`,
  unsupportedExtensionsHint:
    'Check the extensions your RDS engine version supports (pg_available_extensions); upgrade the engine, or drop the dependency on the source first.',
  optionalExtensionMissing: (name: string) =>
    `extension ${name} is not offered by the target and is not used by the migrated schema: skipped`,
  collisions: (tables: string[]) =>
    `Table(s) ${list(tables)} already exist on the target and hold rows. Nothing was written.`,
  collisionsHint:
    'Point target.rds at an empty database, empty those tables, or rerun with --force to keep them as they are.',
  collisionsForced: (tables: string[]) =>
    `--force: existing non-empty table(s) ${list(tables)} kept as they are`,
  shapeDiffers: (object: string, problem: string) => `${object} exists on the target but differs: ${problem}`,
  shapeDiffersHint: 'Drop or fix the target object, or rerun with --force to keep it as it is.',
  missingPrivileges: (who: string, privileges: string[]) =>
    `The target user ${who} lacks privilege(s) the schema needs: ${list(privileges)}. Nothing was written.`,
  missingPrivilegesHint:
    'Connect as the RDS master user (rds_superuser), or grant the privileges named above, then rerun.',
  translationErrors: (lines: string[]) =>
    `The source schema cannot be translated faithfully:\n${lines.map((l) => `  - ${l}`).join('\n')}`,
  translationErrorsHint:
    'Resolve each object listed above on the source (or in source.supabase.schemas), then rerun plan.',
  statementFailed: (key: string, reason: string) => `Creating ${key} on the target failed: ${reason}.`,
  statementFailedHint:
    'Nothing of this batch was kept (it ran in one transaction). Fix the cause above and rerun apply.',
  optionalSkipped: (key: string, reason: string) => `skipped ${key}: ${reason}`,
  postLoadDone: (ran: number, present: number) =>
    `post-load DDL: ${ran} statement(s) run, ${present} already present`,
  postLoadPending: 'indexes, foreign keys, triggers and policies are created after db.copy loads the data',
  postLoadPendingHint: 'Run `engify-migrate apply --phase 2`; db.copy builds them after the load.',
  diffFailed: (count: number) => `${count} schema difference(s) between the translation and the target`,
  diffHint:
    'Rerun `engify-migrate apply --phase 1`; if a difference stays, the target object was changed by hand.',
  verifyFailed: (reason: string) => `could not read the target schema: ${reason}`,
  verifyFailedHint: 'Check that the target is reachable, then rerun verify.',
  rollbackFailed: (objects: string[]) =>
    `Could not drop ${list(objects)} on the target; the rest was rolled back.`,
  rollbackFailedHint:
    'Something else depends on them (objects created after the migration?). Drop those first, then rerun rollback.',
  // Data API executor
  dataApiRequestTooLarge: (bytes: number, limit: number) =>
    `A Data API request would be ${bytes} bytes, over the ${limit}-byte request limit.`,
  dataApiRequestTooLargeHint:
    'Lower target.rds.copy.insertBatchRows, or use rds.mode "pg" for rows this large.',
  dataApiResponseTooLarge: (sql: string) =>
    `The Data API refused a result over its 1 MiB response limit (${sql}...).`,
  dataApiResponseTooLargeHint:
    'Read it in pages (LIMIT with a key range); the Data API returns at most 1 MiB per call.',
} as const;
