import type { Client } from 'pg';
import type { Config } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { dbPaths, loadThroughput, type PathChoice } from '../../core/path-estimate.js';
import type { StepContext } from '../../core/step.js';
import { type TableInfo, tableKey } from '../../providers/postgres/catalog.js';
import { readColumnKinds, readReplicationRights } from '../../providers/postgres/replication-rights.js';

// Which engine moves db.copy's rows: this machine (db-copy-run.ts) or AWS DMS (db-copy-dms.ts). The
// estimate decides first (core/path-estimate.ts); when it says DMS, the source is checked for what DMS
// itself needs before anything is created: under "auto" a source DMS cannot serve falls back to the
// local copy with the reason in the plan, under "dms" the plan refuses and names what to fix.

const msg = messages.dms;

/** What the DMS path was planned with: carried in the plan's change and consumed by apply. */
export type DmsPlan = {
  mode: 'full-load-and-cdc' | 'full-load';
  plugin: 'pglogical' | 'test_decoding';
  tables: { schema: string; name: string }[];
  lob: { support: boolean; inlineKb: number; columns: string[] };
};

export interface DbPathDecision {
  engine: 'local' | 'dms';
  choice: PathChoice;
  dms?: DmsPlan;
}

const INLINE_LOB_KB = 64;

/** Columns DMS reads as LOBs from PostgreSQL: unbounded text, binary, JSON, XML and arrays. */
const isLob = (type: string) =>
  /^(text|bytea|json|jsonb|xml|character varying)$/.test(type) || type.endsWith('[]');

/**
 * Types DMS has no mapping for from a PostgreSQL source (composite, range and multirange types, and the
 * full-text and snapshot types). FIXME: taken from the data-type table of CHAP_Source.PostgreSQL as read
 * on 2026-12-03; a type added there later is not known here.
 */
const UNSUPPORTED_BASE = new Set(['tsvector', 'tsquery', 'txid_snapshot', 'pg_snapshot', 'pg_lsn']);
const unsupported = (typtype: string, base: string) =>
  typtype === 'c' || typtype === 'r' || typtype === 'm' || UNSUPPORTED_BASE.has(base);

export function dmsTargetUrl(config: Config): string | undefined {
  const rds = config.target.rds;
  return config.target.dms?.targetUrl ?? (rds?.mode === 'pg' ? rds.url : undefined);
}

export async function decideDbPath(
  ctx: StepContext,
  /** The source's PostgreSQL connection; none (SQLite) means DMS cannot read it. */
  source: Client | undefined,
  tables: TableInfo[],
  schemas: string[],
): Promise<DbPathDecision> {
  const rds = ctx.config.target.rds;
  const settings = rds?.copy;
  const { file } = loadThroughput(ctx.config.network.throughputFile, ctx.configDir);
  const choice = dbPaths(file, {
    bytes: tables.reduce((n, t) => n + t.estimatedBytes, 0),
    rows: tables.reduce((n, t) => n + t.estimatedRows, 0),
    mbps: ctx.config.network.mbps,
    engine: settings?.engine ?? 'auto',
    dmsAboveHours: settings?.dmsAboveHours ?? 4,
  });
  if (choice.chosen !== 'dms') return { engine: 'local', choice };

  const problems: string[] = [];
  const dms = ctx.config.target.dms;
  if (!dms) problems.push(msg.notConfigured);
  else if (!dmsTargetUrl(ctx.config)) problems.push(msg.targetNotPg);
  if (!source) {
    if (settings?.engine === 'dms')
      throw new EngifyError({
        code: 'DMS_NOT_POSSIBLE',
        kind: 'config',
        message: msg.notPossible([msg.sourceNotPostgres]),
        hint: msg.notPossibleHint,
      });
    return {
      engine: 'local',
      choice: { ...choice, chosen: 'local', notes: [messages.paths.fallback(msg.sourceNotPostgres)] },
    };
  }
  const rights = await readReplicationRights(source, schemas);
  if (rights.unreadable.length > 0) problems.push(msg.unreadable(rights.role, rights.unreadable));
  const wanted = dms?.migrationType ?? 'full-load-and-cdc';
  const cdcWhy = [
    ...(rights.walLevel === 'logical' ? [] : [msg.walLevel(rights.walLevel)]),
    ...(rights.superuser || rights.replicationAttribute || rights.rdsReplication
      ? []
      : [msg.noReplicationRight]),
    ...(rights.freeSlots > 0 ? [] : [msg.noFreeSlot]),
  ];
  if (wanted === 'full-load-and-cdc') {
    if (cdcWhy.length > 0) problems.push(msg.noCdc(rights.role, cdcWhy));
    const noKey = tables.filter((t) => t.primaryKey.length === 0).map(tableKey);
    if (noKey.length > 0) problems.push(msg.noPrimaryKey(noKey));
  }
  const keys = new Set(tables.map(tableKey));
  const kinds = (await readColumnKinds(source, schemas)).filter((c) => keys.has(c.table));
  const bad = kinds
    .filter((c) => unsupported(c.typtype, c.baseType))
    .map((c) => `${c.table}.${c.column} (${c.type})`);
  if (bad.length > 0) problems.push(msg.unsupportedTypes(bad));

  const possible =
    rights.unreadable.length > 0 ? 'none' : cdcWhy.length === 0 ? 'full-load-and-cdc' : 'full-load';
  const notes = [possible === 'none' ? msg.modeNone(problems.join('; ')) : ''].filter(Boolean);

  if (problems.length > 0) {
    if (settings?.engine === 'dms')
      throw new EngifyError({
        code: 'DMS_NOT_POSSIBLE',
        kind: 'config',
        message: msg.notPossible(problems),
        hint: msg.notPossibleHint,
      });
    return {
      engine: 'local',
      choice: {
        ...choice,
        chosen: 'local',
        notes: [...notes, messages.paths.fallback(problems.join('; '))],
      },
    };
  }
  const lobColumns = kinds.filter((c) => isLob(c.baseType)).map((c) => `${c.table}.${c.column}`);
  const plan: DmsPlan = {
    mode: wanted,
    plugin: rights.pglogical ? 'pglogical' : 'test_decoding',
    tables: tables.map((t) => ({ schema: t.schema, name: t.name })),
    lob: { support: lobColumns.length > 0, inlineKb: INLINE_LOB_KB, columns: lobColumns },
  };
  return {
    engine: 'dms',
    dms: plan,
    choice: {
      ...choice,
      notes: [
        msg.modeLine(plan.mode, plan.plugin),
        plan.lob.support ? msg.lobFull(lobColumns, INLINE_LOB_KB) : msg.lobNone,
      ],
    },
  };
}
