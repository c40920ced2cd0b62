import type { Client } from 'pg';
import type { Config, RdsConfig } from '../../config/schema.js';
import { EngifyError, isTransient } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { SqlExecutor } from '../../core/sql-executor.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { type TableInfo, tableKey, tableSql } from '../../providers/postgres/catalog.js';
import { copyFormat } from '../../providers/postgres/copy-out.js';
import {
  applyPostLoadDdl,
  type PostLoadStatement,
  readPostLoadDdl,
} from '../../providers/postgres/load/post-load.js';
import { rangeCount } from '../../providers/postgres/ranges.js';
import { authUsersTables } from './db-copy-auth-users.js';
import { applyDms, rollbackDms } from './db-copy-dms.js';
import { type DmsPlan, decideDbPath } from './db-copy-path.js';
import {
  ATTACHED_BEFORE_LOAD,
  type BuildControl,
  type EarlyForeignKey,
  rangeStream,
  runCopy,
  storedRanges,
  type TargetLink,
  tableStream,
} from './db-copy-run.js';
import { verifyDatabase } from './db-copy-verify.js';
import { poolerProblem } from './db-preflight.js';
import { applyPostLoad, translateSource } from './db-schema.js';
import { DB_SOURCE_FIELDS } from './db-source.js';
import { hasDbSource, sourceDialectOf } from './dialects/source-dialects.js';
import { attachableBeforeLoad, attachForeignKeyToEmpty } from './schema/apply.js';
import type { SourceDialect, SourceSession } from './source-dialect.js';
import { requireRds, type TargetDb, targetCapabilities, targetDatabaseName, targetDb } from './target-db.js';

// db.copy: the full load of the configured schemas from one consistent snapshot (see db-copy-run.ts for
// the snapshot, slot and resume rules), then indexes/constraints and sequences, then parity by key range.

const STEP_ID = 'db.copy';

const copySettings = (rds: RdsConfig) => rds.copy;
const defaultName = (config: Config) => `engify_${config.project.replaceAll('-', '_')}`;

/** The source as its dialect; a PostgreSQL-family one connects through connectSource below. */
function dialectOf(ctx: StepContext): SourceDialect {
  const dialect = sourceDialectOf(ctx.config, {
    connect: (url) => (options) => connectSource(ctx, url, options),
  });
  if (!dialect)
    throw new EngifyError({
      code: 'CONFIG_MISSING',
      kind: 'config',
      message: messages.config.needsSection(DB_SOURCE_FIELDS, STEP_ID),
    });
  return dialect;
}

const rdsConfig = (ctx: StepContext): RdsConfig => requireRds(ctx.config, STEP_ID);

const hostOf = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return 'the configured host';
  }
};
const reason = (e: unknown) => {
  const err = e as { code?: string; message?: string };
  return [err.code, err.message].filter(Boolean).join(' ') || String(e);
};

async function connectSource(
  ctx: StepContext,
  url: string,
  options: { replication?: boolean } = {},
): Promise<Client> {
  // The command preflight refuses this already; a session opened without it must not snapshot either.
  const pooled = poolerProblem(ctx.config);
  if (pooled) throw pooled;
  try {
    return await ctx.services.pg(url, options);
  } catch (error) {
    throw new EngifyError({
      code: 'DB_SOURCE_UNREACHABLE',
      kind: isTransient(error) ? 'transient' : 'config',
      message: messages.dbCopy.sourceUnreachable(hostOf(url), ctx.redactor.redact(reason(error))),
      hint: messages.dbCopy.sourceUnreachableHint,
      cause: error,
    });
  }
}

const unreachable = (ctx: StepContext, host: string, error: unknown) =>
  new EngifyError({
    code: 'DB_TARGET_UNREACHABLE',
    kind: isTransient(error) ? 'transient' : 'config',
    message: messages.dbCopy.targetUnreachable(host, ctx.redactor.redact(reason(error))),
    hint: messages.dbCopy.targetUnreachableHint,
    cause: error,
  });

async function connectTargetPg(ctx: StepContext, target: TargetDb): Promise<Client> {
  try {
    return await target.connect();
  } catch (error) {
    throw unreachable(ctx, target.host, error);
  }
}

async function openTargetExecutor(ctx: StepContext): Promise<SqlExecutor> {
  const target = await targetDb(ctx, STEP_ID);
  try {
    return await target.executor({ signal: ctx.signal });
  } catch (error) {
    if (error instanceof EngifyError) throw error;
    throw unreachable(ctx, target.host, error);
  }
}

/** COPY where the target takes it, batched INSERTs (the Data API) where it does not. */
async function targetLink(ctx: StepContext): Promise<TargetLink> {
  const target = await targetDb(ctx, STEP_ID);
  if (target.capabilities.copy) return { kind: 'copy', connect: () => connectTargetPg(ctx, target) };
  return { kind: 'insert', open: () => openTargetExecutor(ctx) };
}

/**
 * Indexes, constraints, triggers and policies after the load: db.schema's translated post-load DDL when
 * db.schema ran (it owns the Supabase translation), else the plain catalog-based set (tables created
 * some other way, e.g. from a pg_dump pre-data section). Read once per apply: the per-table builds
 * during the load and the final pass share it.
 */
function postLoadWork(ctx: StepContext, schemas: string[], settings: RdsConfig['copy']) {
  const translated = ctx.journal.outputOf('db.schema', 'preLoadDone') === true;
  let schema: ReturnType<typeof translateSource> | undefined;
  let catalog: Promise<PostLoadStatement[]> | undefined;
  const translation = () => {
    schema ??= translateSource(ctx);
    return schema;
  };
  const statements = (source: Client | undefined) => {
    // Only a PostgreSQL-family source can be read this way; others always go through db.schema.
    if (!source) throw new Error('the catalog-based post-load needs a PostgreSQL source');
    catalog ??= readPostLoadDdl(source, schemas);
    return catalog;
  };
  const own = new Set(['index', 'constraint']);
  return {
    async tableLoaded(
      source: Client | undefined,
      table: TableInfo,
      target: SqlExecutor,
      control: BuildControl,
    ): Promise<number> {
      const key = tableKey(table);
      if (translated) {
        const postLoad = (await translation()).postLoad.filter((s) => s.table === key && own.has(s.kind));
        // Keys first (what a foreign key into this table needs: the unique indexes, then the constraints),
        // so tables waiting for it can start; then its other indexes, beside their load.
        const keys = postLoad.filter(
          (s) => s.kind === 'constraint' || s.backsKey === true || /^CREATE UNIQUE INDEX /i.test(s.sql),
        );
        const rest = postLoad.filter((s) => !keys.includes(s));
        let built = 0;
        if (keys.length > 0) built += (await applyPostLoad(target, { postLoad: keys }, control)).ran.length;
        await control.keyed();
        if (rest.length > 0) built += (await applyPostLoad(target, { postLoad: rest }, control)).ran.length;
        return built;
      }
      // The catalog-based set has no statement keys: the table's build is one unit the final pass awaits.
      const mine = (await statements(source)).filter((s) => s.table === key && s.kind !== 'foreign-key');
      const build = applyPostLoadDdl([target], mine);
      control.running.set(`table ${key}`, build);
      return (await build).length;
    },
    /** db.schema's foreign keys between copied tables, when settings ask for them before the load. */
    async earlyForeignKeys(): Promise<EarlyForeignKey[]> {
      if (!translated || settings.foreignKeys !== 'before-load') return [];
      return (await translation()).postLoad.filter(attachableBeforeLoad).map((s) => ({
        table: s.table as string,
        name: s.key.slice(`foreign key ${s.table}.`.length),
        references: s.references as string,
        attach: (target) => attachForeignKeyToEmpty(target, s),
      }));
    },
    async all(
      source: Client | undefined,
      targets: SqlExecutor[],
      running: BuildControl['running'],
    ): Promise<number> {
      let built: number;
      if (translated) built = (await applyPostLoad(targets, await translation(), { running })).ran.length;
      else {
        await Promise.all([...running.values()].map((p) => p.catch(() => undefined)));
        built = (await applyPostLoadDdl(targets, await statements(source))).length;
      }
      ctx.journal.output('postLoadDone', true);
      return built;
    },
  };
}

const attachedBeforeLoad = (value: unknown): { table: string; name: string }[] =>
  Array.isArray(value)
    ? value.filter(
        (v): v is { table: string; name: string } =>
          typeof v?.table === 'string' && typeof v?.name === 'string',
      )
    : [];

/** The auth.users shim in the plan when the target has it already (plan must not fail before phase 1 ran). */
async function planExtras(
  ctx: StepContext,
  dialect: SourceDialect,
  source: SourceSession,
  schemas: string[],
) {
  if (!dialect.internals.authShim || !source.pg) return [];
  let executor: SqlExecutor | undefined;
  try {
    executor = await openTargetExecutor(ctx);
    return await authUsersTables(source.pg, executor, schemas);
  } catch {
    return [];
  } finally {
    await executor?.close().catch(() => undefined);
  }
}

/** One table as plan measured it: its size, the key ranges it splits into and how it loads. */
type CopyTable = {
  table: string;
  estimatedRows: number;
  estimatedBytes: number;
  ranges: number;
  rangesDone: number;
  primaryKey: string[];
  format: string;
};
/** The whole copy: every table, the slot/publication names, and the engine (this machine or DMS). */
type CopyAction = PlannedAction<
  'copy',
  | { kind: 'done' }
  | {
      kind: 'copy';
      jobs: number;
      foreignKeys: string;
      slot: string;
      publication: string;
      tables: CopyTable[];
      engine: 'local' | 'dms';
      dms?: DmsPlan;
    }
>;

export const dbCopyStep: Step<CopyAction> = {
  id: STEP_ID,
  phase: 2,
  component: 'db',
  title: messages.dbCopy.title,
  dependsOn: ['db.schema'],
  enabled: (config) => Boolean(hasDbSource(config) && config.target.rds),

  async plan(ctx) {
    const rds = rdsConfig(ctx);
    const dialect = dialectOf(ctx);
    const schemas = dialect.schemas;
    const source = await dialect.open();
    try {
      const tables = [
        ...(await source.tables(schemas)),
        ...(await planExtras(ctx, dialect, source, schemas)),
      ];
      const database = targetDatabaseName(rds);
      const bulk = targetCapabilities(rds).copy;
      const done =
        tables.every((t) => ctx.journal.lastCheckpoint(tableStream(t))?.done) &&
        ctx.journal.lastCheckpoint('postload')?.done;
      if (tables.length > 0 && done) {
        return [
          {
            action: 'noop',
            resource: messages.dbCopy.resourceName(database),
            subject: 'copy',
            summary: messages.dbCopy.planDone,
            details: { kind: 'done' },
          },
        ];
      }
      const split = {
        splitBytes: copySettings(rds).splitBytes,
        maxRanges: copySettings(rds).maxRangesPerTable,
        jobs: ctx.config.jobs,
      };
      const rows = tables.map((t): CopyTable => {
        const stored = storedRanges(ctx.journal, STEP_ID, t);
        return {
          table: tableKey(t),
          estimatedRows: t.estimatedRows,
          estimatedBytes: t.estimatedBytes,
          ranges: stored?.length ?? rangeCount(t, split),
          rangesDone: stored
            ? stored.filter((r) => ctx.journal.lastCheckpoint(rangeStream(t, r.index))?.done).length
            : 0,
          primaryKey: t.primaryKey,
          format: bulk ? copyFormat(t) : 'insert',
        };
      });
      // This machine or AWS DMS (db-copy-path.ts): the estimate, the source's rights, the reason.
      const path = await decideDbPath(ctx, source.pg, tables, schemas);
      const warnings = [
        ...tables
          .filter((t) => t.primaryKey.length === 0)
          .map((t) => messages.dbCopy.noPrimaryKey(tableKey(t))),
        // A dialect that produces only text COPY (SQLite) says so once, in its own notes.
        ...(bulk && dialect.copyFormats.includes('binary')
          ? tables.filter((t) => !t.binarySafe).map((t) => messages.dbCopy.textFormat(tableKey(t)))
          : []),
      ];
      const change: CopyAction = {
        action: 'copy',
        subject: 'copy',
        resource: messages.dbCopy.resourceName(database),
        summary:
          tables.length === 0
            ? messages.dbCopy.noTables(schemas)
            : path.dms
              ? messages.dms.planSummary(tables.length, path.dms.mode)
              : messages.dbCopy.planSummary(
                  tables.length,
                  rows.reduce((n, r) => n + r.estimatedRows, 0),
                  rows.reduce((n, r) => n + r.estimatedBytes, 0),
                  rows.reduce((n, r) => n + r.ranges, 0),
                  ctx.config.jobs,
                ),
        details: {
          kind: 'copy',
          jobs: ctx.config.jobs,
          foreignKeys: copySettings(rds).foreignKeys,
          slot: copySettings(rds).slotName ?? defaultName(ctx.config),
          publication: copySettings(rds).publication ?? defaultName(ctx.config),
          tables: rows,
          engine: path.engine,
          ...(path.dms ? { dms: path.dms } : {}),
        },
        ...(warnings.length > 0 ? { warnings } : {}),
        measures: [
          {
            kind: 'db',
            tables: tables.length,
            rows: rows.reduce((n, r) => n + r.estimatedRows, 0),
            bytes: rows.reduce((n, r) => n + r.estimatedBytes, 0),
            indexBytes: await source.indexBytes(schemas),
            path: path.choice,
          },
        ],
      };
      return [change];
    } finally {
      await source.close().catch(() => undefined);
    }
  },

  async apply(ctx, change) {
    if (change.action === 'noop') return;
    const rds = rdsConfig(ctx);
    const dialect = dialectOf(ctx);
    const schemas = dialect.schemas;
    const settings = copySettings(rds);
    const details = change.details;
    if (details.kind === 'copy' && details.engine === 'dms' && details.dms) {
      // AWS DMS moves the rows (db-copy-dms.ts); the post-load work stays this step's.
      const work = postLoadWork(ctx, schemas, settings);
      return applyDms(ctx, details.dms, {
        connectSource: () => connectSource(ctx, dialect.pgUrl ?? ''),
        openExecutor: () => openTargetExecutor(ctx),
        postLoad: (source, targets) => work.all(source, targets, new Map()),
      });
    }
    const executor = await openTargetExecutor(ctx);
    const work = postLoadWork(ctx, schemas, settings);
    try {
      await runCopy({
        stepId: STEP_ID,
        source: dialect,
        target: await targetLink(ctx),
        targetExecutor: executor,
        openExecutor: () => openTargetExecutor(ctx),
        schemas,
        jobs: ctx.config.jobs,
        split: {
          splitBytes: settings.splitBytes,
          maxRanges: settings.maxRangesPerTable,
          jobs: ctx.config.jobs,
        },
        insertBatchRows: settings.insertBatchRows,
        slotName: settings.slotName ?? defaultName(ctx.config),
        publication: settings.publication ?? defaultName(ctx.config),
        journal: ctx.journal,
        force: ctx.force,
        signal: ctx.signal,
        log: ctx.log,
        progress: ctx.progress,
        postLoad: (source, targets, running) => work.all(source, targets, running),
        tableLoaded: (source, table, target, control) => work.tableLoaded(source, table, target, control),
        earlyForeignKeys: () => work.earlyForeignKeys(),
        ...(dialect.internals.authShim
          ? {
              extraTables: async (source: Client | undefined) =>
                source ? authUsersTables(source, executor, schemas) : [],
            }
          : {}),
      });
    } finally {
      await executor.close().catch(() => undefined);
    }
  },

  async verify(ctx): Promise<Check[]> {
    let dialect: SourceDialect;
    let executor: SqlExecutor;
    try {
      dialect = dialectOf(ctx);
      executor = await openTargetExecutor(ctx);
    } catch (error) {
      const e = error instanceof EngifyError ? error : undefined;
      return [
        {
          name: 'db.copy target reachable',
          expected: true,
          actual: e?.message ?? reason(error),
          ok: false,
          hint: e?.hint ?? messages.dbCopy.verifyFailedHint,
        },
      ];
    }
    try {
      const schemas = dialect.schemas;
      return await verifyDatabase({
        source: dialect,
        target: executor,
        schemas,
        rangesFor: (t) => storedRanges(ctx.journal, STEP_ID, t),
        attachedBeforeLoad: attachedBeforeLoad(ctx.journal.outputOf(STEP_ID, ATTACHED_BEFORE_LOAD)),
        ...(dialect.internals.authShim
          ? {
              extraTables: async (source: Client | undefined) =>
                source ? authUsersTables(source, executor, schemas) : [],
            }
          : {}),
      });
    } finally {
      await executor.close().catch(() => undefined);
    }
  },

  async rollback(ctx) {
    // The DMS replication first: it would otherwise write into the tables emptied below.
    await rollbackDms(ctx);
    const loaded = [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()].filter(
      (r) => r.kind === 'table-data',
    );
    if (loaded.length > 0) {
      const executor = await openTargetExecutor(ctx);
      try {
        // One statement for all of them: FKs among the loaded tables do not block it, and CASCADE is never
        // used, so a table this step did not load is never emptied.
        const names = [...new Set(loaded.map((r) => r.name))];
        const present: string[] = [];
        for (const name of names) {
          const [schema = '', ...rest] = name.split('.');
          const sql = tableSql({ schema, name: rest.join('.') });
          const r = await executor.query('SELECT to_regclass($1) IS NOT NULL AS present', [sql]);
          if (r.rows[0]?.present === true) present.push(sql);
        }
        if (present.length > 0) await executor.query(`TRUNCATE ${present.join(', ')}`);
      } finally {
        await executor.close().catch(() => undefined);
      }
      for (const r of loaded) ctx.journal.undone({ resource: r });
      for (const record of ctx.journal.records()) {
        if (record.type === 'checkpoint' && ctx.journal.lastCheckpoint(record.stream))
          ctx.journal.undone({ stream: record.stream });
      }
    }
    const sourceSide = [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()].filter(
      (r) => r.kind === 'replication-slot' || r.kind === 'publication',
    );
    if (sourceSide.length > 0) {
      const source = await dialectOf(ctx).open();
      try {
        for (const r of sourceSide) {
          // Dropping our own slot and publication removes no row of the source.
          if (r.kind === 'replication-slot') await source.capture?.dropSlot(r.name);
          else await source.capture?.dropPublication(r.name);
          ctx.journal.undone({ resource: r });
        }
      } finally {
        await source.close().catch(() => undefined);
      }
    }
  },
};
