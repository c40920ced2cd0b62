// User-facing text of db.copy's AWS DMS path. Re-exported through src/core/messages.ts as messages.dms.

const list = (xs: readonly string[]) =>
  xs.length > 6 ? `${xs.slice(0, 6).join(', ')} and ${xs.length - 6} more` : xs.join(', ');

export const dmsMessages = {
  planSummary: (tables: number, mode: string) =>
    `copy ${tables} table(s) through AWS DMS Serverless (${mode}; the schema is db.schema's, DMS loads data only)`,
  sourceNotPostgres: 'AWS DMS reads PostgreSQL sources here, and this source is not one (SQLite)',
  notConfigured:
    'target.dms is not configured (the replication needs its capacity, network and secrets role)',
  targetNotPg:
    'target.rds is in data-api mode and DMS needs a PostgreSQL endpoint: set target.dms.targetUrl to the cluster as DMS reaches it',
  unreadable: (role: string, tables: readonly string[]) =>
    `the source role ${role} cannot SELECT ${list(tables)} (a DMS full load reads every table)`,
  noCdc: (role: string, why: readonly string[]) =>
    `change capture is not possible for the source role ${role}: ${why.join('; ')}`,
  walLevel: (level: string) => `wal_level is ${level}, not logical`,
  noReplicationRight:
    'it is not a superuser, has no REPLICATION attribute and is not a member of rds_replication',
  noFreeSlot: 'max_replication_slots has no free slot',
  noPrimaryKey: (tables: readonly string[]) =>
    `table(s) without a primary key on the change-capture path: ${list(tables)} (DMS ignores their UPDATE and DELETE)`,
  unsupportedTypes: (columns: readonly string[]) =>
    `column type(s) DMS does not map for a PostgreSQL source: ${list(columns)}`,
  modeLine: (mode: string, plugin: string) =>
    `DMS mode possible and planned: ${mode} (decoding plugin ${plugin})`,
  modeNone: (why: string) => `DMS mode possible: none (${why})`,
  lobNone: 'LOB settings: no LOB columns (SupportLobs off)',
  lobFull: (columns: readonly string[], inlineKb: number) =>
    `LOB settings: full LOB mode, inline up to ${inlineKb} KB, for ${list(columns)} (limited LOB mode truncates values over LobMaxSize; full mode keeps every value, and small ones still travel inline)`,
  notPossible: (reasons: readonly string[]) =>
    `target.rds.copy.engine is "dms" but DMS cannot do this copy: ${reasons.join('; ')}. Nothing was created.`,
  notPossibleHint:
    'Fix what is named (grant REPLICATION, add primary keys, or set target.dms.migrationType to "full-load"), or set target.rds.copy.engine to "local" or "auto".',
  quota: (operation: string, detail: string) =>
    `AWS DMS refused ${operation}: a quota of the account is reached (${detail}).`,
  quotaHint:
    'Delete replications you no longer need, or ask for a higher DMS quota (Service Quotas, AWS Database Migration Service), then rerun: nothing half-made is left, the journal knows what exists.',
  failed: (arn: string, status: string, reason: string) =>
    `The DMS replication ${arn} is ${status}: ${reason}. A rerun resumes it (the same replication, not a second one).`,
  failedHint: 'Fix the cause shown, then run the same apply again.',
  waiting: (status: string, loaded: number, total: number) =>
    `DMS replication ${status}: ${loaded}/${total} table(s) loaded`,
  started: (arn: string) => `DMS replication started: ${arn}`,
  resumed: (arn: string) => `DMS replication found in the journal, resumed: ${arn}`,
  stopped: (arn: string) => `DMS replication stopped after the drain: ${arn}`,
  unreachable: (endpoint: string, detail: string) => `AWS DMS at ${endpoint} did not answer: ${detail}`,
  unreachableHint: 'Check target.aws.region / target.aws.endpoints.dms and the network, then rerun.',
};
