import type { Config } from '../../config/schema.js';
import type { CreatedResource, Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { assertAsPlanned, planDrift } from '../../core/plan-drift.js';
import { type SqlExecutor, sqlStateOf } from '../../core/sql-executor.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { introspectSchema } from '../../providers/postgres/introspect.js';
import type { SchemaModel } from '../../providers/postgres/schema-model.js';
import { deparseOnTarget } from '../../providers/postgres/view-deparse.js';
import { declaredDialectOf, sourceDialectOf } from './dialects/source-dialects.js';
import {
  applyPreLoad,
  type PostLoadOptions,
  partition,
  prepareSession,
  applyPostLoad as runPostLoad,
} from './schema/apply.js';
import { diffSchema } from './schema/diff.js';
import { type CreatedObject, type DroppableKind, quoteIdent, quoteLiteral } from './schema/statements.js';
import { type TranslatedSchema, translateSchema } from './schema/translate.js';
import { INSTANCE_STEP, requireRds, targetDatabaseName, targetDb } from './target-db.js';

// db.schema (phase 1): the target database exists (created when target.rds.createDatabase says so) and
// holds the translated source schema up to the load: everything pre-load, in one transaction. The
// post-load part (indexes, foreign keys, triggers, policies) is run by db.copy through applyPostLoad
// once the data is in. Every refusal (unreachable, missing privilege, older target, unsupported
// extension, non-empty colliding table) is raised by plan and again by apply, before anything is written.

const MAINTENANCE_DB = 'postgres';
const m = messages.db;

const rdsOf = (config: Config) => requireRds(config, 'db.schema');

const schemasOf = (config: Config) => declaredDialectOf(config)?.schemas ?? ['public'];

const hostOf = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return 'the configured host';
  }
};

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Introspects the source and translates it. db.copy calls this too (for copyTables and postLoad). */
export async function translateSource(ctx: StepContext): Promise<TranslatedSchema & { source: SchemaModel }> {
  const db = sourceDialectOf(ctx.config, {
    connect: (url) => async () => {
      try {
        return await ctx.services.pg(url);
      } catch (error) {
        throw new EngifyError({
          code: 'DB_SOURCE_UNREACHABLE',
          kind: sqlStateOf(error) === '28P01' ? 'config' : 'transient',
          message: m.sourceUnreachable(hostOf(url), ctx.redactor.redact(reason(error))),
          hint: m.sourceUnreachableHint,
          cause: error,
        });
      }
    },
  });
  if (!db)
    throw new EngifyError({
      code: 'DB_SOURCE_URL_MISSING',
      kind: 'config',
      message: m.noSourceUrl,
      hint: m.noSourceUrlHint,
    });
  {
    const model = await db.introspect();
    const translated = translateSchema(model, db.translateOptions());
    translated.report.push(...((await db.translationNotes?.()) ?? []));
    const errors = translated.report.filter((n) => n.level === 'error');
    if (errors.length > 0) {
      throw new EngifyError({
        code: 'DB_SCHEMA_UNTRANSLATABLE',
        kind: 'config',
        message: m.translationErrors(errors.map((e) => `${e.object}: ${e.message}`)),
        hint: m.translationErrorsHint,
      });
    }
    return { ...translated, source: model };
  }
}

interface TargetState {
  database: string;
  exists: boolean;
  /** Executor on the target database (when it exists). */
  executor?: SqlExecutor;
}

async function openTarget(ctx: StepContext): Promise<TargetState> {
  const target = await targetDb(ctx, 'db.schema');
  const database = target.database;
  const where = `${database} on ${target.host}`;
  let executor: SqlExecutor | undefined;
  try {
    executor = await target.executor({ signal: ctx.signal });
    await executor.query('SELECT 1');
    return { database, exists: true, executor };
  } catch (error) {
    await executor?.close();
    if (sqlStateOf(error) === '3D000') return { database, exists: false };
    throw new EngifyError({
      code: 'DB_TARGET_UNREACHABLE',
      kind: sqlStateOf(error) === '28P01' ? 'config' : 'transient',
      message: m.targetUnreachable(where, ctx.redactor.redact(reason(error))),
      hint: m.targetUnreachableHint,
      cause: error,
    });
  }
}

async function withMaintenance<T>(ctx: StepContext, work: (db: SqlExecutor) => Promise<T>): Promise<T> {
  const db = await (await targetDb(ctx, 'db.schema')).executor({
    database: MAINTENANCE_DB,
    signal: ctx.signal,
  });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

interface Preflight {
  toCreate: string[];
  present: string[];
  warnings: string[];
  missingPrivileges: string[];
}

/** Every check that must pass before anything is written; throws EngifyError naming what is wrong. */
async function preflight(
  ctx: StepContext,
  t: TranslatedSchema & { source: SchemaModel },
  target: TargetState,
): Promise<Preflight> {
  const warnings: string[] = [];
  const probe = async (db: SqlExecutor) => {
    const [row] = (
      await db.query(
        `SELECT current_setting('server_version_num') AS v, current_user AS who,
                (SELECT rolsuper OR rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = current_user) AS createrole,
                (SELECT rolsuper OR rolcreatedb FROM pg_catalog.pg_roles WHERE rolname = current_user) AS createdb,
                coalesce((SELECT json_agg(name) FROM pg_catalog.pg_available_extensions), '[]')::text AS available`,
      )
    ).rows;
    return {
      version: Number(row?.v),
      who: String(row?.who),
      createRole: row?.createrole === true || row?.createrole === 't',
      createDb: row?.createdb === true || row?.createdb === 't',
      available: new Set(JSON.parse(String(row?.available ?? '[]')) as string[]),
    };
  };
  const info = target.executor ? await probe(target.executor) : await withMaintenance(ctx, probe);

  const sourceMajor = Math.floor(t.source.serverVersionNum / 10000);
  const targetMajor = Math.floor(info.version / 10000);
  if (targetMajor < sourceMajor) {
    throw new EngifyError({
      code: 'DB_TARGET_TOO_OLD',
      kind: 'config',
      message: m.versionTooOld(sourceMajor, targetMajor),
      hint: m.versionTooOldHint(sourceMajor),
    });
  }

  const missingExt = t.requiredExtensions.filter((e) => !info.available.has(e.name)).map((e) => e.name);
  if (missingExt.length > 0) {
    throw new EngifyError({
      code: 'DB_EXTENSION_UNAVAILABLE',
      kind: 'config',
      message: m.unsupportedExtensions(missingExt),
      hint: m.unsupportedExtensionsHint,
    });
  }
  for (const e of t.optionalExtensions)
    if (!info.available.has(e.name)) warnings.push(m.optionalExtensionMissing(e.name));

  const missingPrivileges: string[] = [];
  if (!target.exists) {
    if (!info.createDb) missingPrivileges.push('CREATEDB (to create the database)');
    const needsRoles = t.preLoad.some((s) => s.kind === 'role' && s.creates);
    if (needsRoles && !info.createRole) missingPrivileges.push('CREATEROLE');
    return {
      toCreate: t.preLoad.filter((s) => s.existsSql).map((s) => s.key),
      present: [],
      warnings,
      missingPrivileges,
    };
  }

  const db = target.executor as SqlExecutor;
  const { present, missing } = await db.transaction(async (tx) => {
    await prepareSession(tx);
    return partition(tx, t.preLoad);
  });
  if (missing.some((s) => s.kind === 'role' && s.creates) && !info.createRole)
    missingPrivileges.push('CREATEROLE');
  if (missing.some((s) => s.kind === 'schema' || s.kind === 'extension')) {
    const r = await db.query(
      `SELECT has_database_privilege(current_user, current_database(), 'CREATE') AS ok`,
    );
    if (!(r.rows[0]?.ok === true || r.rows[0]?.ok === 't'))
      missingPrivileges.push(`CREATE on database ${target.database}`);
  }
  const schemasUsed = new Set(t.kept.tables.map((x) => x.schema));
  for (const s of schemasUsed) {
    const r = await db.query(
      `SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) OR has_schema_privilege(current_user, $1, 'CREATE') AS ok`,
      [s],
    );
    if (!(r.rows[0]?.ok === true || r.rows[0]?.ok === 't')) missingPrivileges.push(`CREATE on schema ${s}`);
  }
  if (missingPrivileges.length > 0) {
    throw new EngifyError({
      code: 'DB_TARGET_PRIVILEGES',
      kind: 'config',
      message: m.missingPrivileges(info.who, missingPrivileges),
      hint: m.missingPrivilegesHint,
    });
  }

  // Tables we would otherwise create that exist already: refuse when they hold rows or differ.
  const ours = new Set(ctx.journal.createdResources().map((r) => `${r.kind} ${r.name}`));
  const collisions: string[] = [];
  const existingTables = present.filter(
    (s) =>
      s.kind === 'table' && s.creates && !ours.has(`table ${s.creates.name}`) && s.key !== 'table auth.users',
  );
  for (const s of existingTables) {
    const r = await db.query(`SELECT EXISTS (SELECT 1 FROM ${s.creates?.name}) AS rows`);
    if (r.rows[0]?.rows === true || r.rows[0]?.rows === 't') collisions.push(s.key.replace(/^table /, ''));
  }
  if (collisions.length > 0) {
    if (!ctx.force)
      throw new EngifyError({
        code: 'DB_TABLE_COLLISION',
        kind: 'config',
        message: m.collisions(collisions),
        hint: m.collisionsHint,
      });
    warnings.push(m.collisionsForced(collisions));
  }
  if (existingTables.length > 0) {
    const actual = await introspectSchema(db, [...new Set(t.kept.tables.map((x) => x.schema))]);
    const names = new Set(existingTables.map((s) => s.key.replace(/^table /, '')));
    const shapes = diffSchema(
      {
        ...t.kept,
        tables: t.kept.tables.filter((x) => names.has(`${x.schema}.${x.name}`)),
        types: [],
        sequences: [],
        views: [],
        functions: [],
        extensions: [],
      },
      actual,
      {
        postLoad: false,
      },
    );
    if (shapes.length > 0) {
      const lines = shapes.map((d) => m.shapeDiffers(d.object, d.problem));
      if (!ctx.force)
        throw new EngifyError({
          code: 'DB_TABLE_SHAPE',
          kind: 'config',
          message: lines.join('\n'),
          hint: m.shapeDiffersHint,
        });
      warnings.push(...lines);
    }
  }
  return {
    toCreate: missing.filter((s) => s.existsSql).map((s) => s.key),
    present: present.map((s) => s.key),
    warnings,
    missingPrivileges,
  };
}

const reportDetails = (t: TranslatedSchema): Json =>
  t.report.map((n) => `${n.level}: ${n.object}: ${n.message}`);

/**
 * The target database (there already, or to create), and the schema: the objects plan found missing,
 * or, before db.instance has made the server, "after the instance" (planned again once it exists).
 */
type SchemaAction =
  | PlannedAction<'database', { kind: 'exists' | 'create'; database: string }>
  | PlannedAction<
      'schema',
      | { kind: 'after-instance' }
      | {
          kind: 'translate';
          create: string[];
          present: number;
          postLoad: string[];
          translation: Json;
          /** False when the database did not exist yet: `create` is then everything, an upper bound. */
          observed: boolean;
        }
    >;

async function plan(ctx: StepContext): Promise<SchemaAction[]> {
  const rds = rdsOf(ctx.config);
  const t = await translateSource(ctx);
  // A provisioned instance that db.instance has not made yet: planned again once it is available.
  if (rds.mode === 'pg' && rds.instance && !ctx.journal.outputOf(INSTANCE_STEP, 'endpoint'))
    return [
      {
        action: 'create',
        resource: `database ${rds.instance.database}`,
        subject: 'schema',
        summary: m.afterInstance(rds.instance.identifier, t.preLoad.length),
        details: { kind: 'after-instance' },
      },
    ];
  const target = await openTarget(ctx);
  try {
    if (!target.exists && !rds.createDatabase) {
      throw new EngifyError({
        code: 'DB_TARGET_DATABASE_MISSING',
        kind: 'config',
        message: m.databaseMissing(target.database),
        hint: m.databaseMissingHint,
      });
    }
    const pf = await preflight(ctx, t, target);
    if (pf.missingPrivileges.length > 0) {
      throw new EngifyError({
        code: 'DB_TARGET_PRIVILEGES',
        kind: 'config',
        message: m.missingPrivileges('the target user', pf.missingPrivileges),
        hint: m.missingPrivilegesHint,
      });
    }
    const changes: SchemaAction[] = [];
    changes.push(
      target.exists
        ? {
            action: 'noop',
            resource: `database ${target.database}`,
            subject: 'database',
            summary: m.databaseExists(target.database),
            details: { kind: 'exists', database: target.database },
          }
        : {
            action: 'create',
            resource: `database ${target.database}`,
            subject: 'database',
            summary: m.databaseCreate(target.database),
            details: { kind: 'create', database: target.database },
          },
    );
    const warnings = [
      ...t.report.filter((n) => n.level === 'warning').map((n) => `${n.object}: ${n.message}`),
      ...pf.warnings,
    ];
    const details = {
      kind: 'translate' as const,
      observed: target.exists,
      create: pf.toCreate,
      present: pf.present.length,
      postLoad: t.postLoad.map((s) => s.key),
      translation: reportDetails(t),
    };
    changes.push(
      pf.toCreate.length > 0
        ? {
            action: 'create',
            resource: `schema of ${target.database}`,
            subject: 'schema',
            summary: m.schemaCreate(pf.toCreate.length, pf.present.length, t.postLoad.length),
            details,
            ...(warnings.length ? { warnings } : {}),
          }
        : {
            action: 'noop',
            resource: `schema of ${target.database}`,
            subject: 'schema',
            summary: m.schemaInStep(pf.present.length),
            details,
            ...(warnings.length ? { warnings } : {}),
          },
    );
    return changes;
  } finally {
    await target.executor?.close();
  }
}

const toResource = (o: CreatedObject): CreatedResource => ({ kind: o.kind, name: o.name });

async function createDatabase(ctx: StepContext, name: string): Promise<void> {
  const resource: CreatedResource = { kind: 'database', name: quoteIdent(name) };
  await withMaintenance(ctx, async (db) => {
    const r = await db.query(`SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1`, [name]);
    if (r.rows.length > 0) {
      // A crash between CREATE DATABASE and the journal's `created`: it is ours.
      if (ctx.journal.pendingIntents().some((p) => p.kind === 'database' && p.name === resource.name))
        ctx.journal.created(resource);
      return;
    }
    ctx.journal.intent(resource);
    await db.query(`CREATE DATABASE ${quoteIdent(name)}`);
    ctx.journal.created(resource);
  });
}

async function apply(ctx: StepContext, change: SchemaAction): Promise<void> {
  const rds = rdsOf(ctx.config);
  const database = targetDatabaseName(rds);
  if (change.subject === 'database') {
    if (change.details.database !== database)
      throw planDrift(
        'db.schema',
        change.resource,
        `database ${change.details.database}`,
        `database ${database}`,
      );
    if (change.action === 'create') await createDatabase(ctx, database);
    return;
  }
  const t = await translateSource(ctx);
  let target = await openTarget(ctx);
  if (!target.exists) {
    if (!rds.createDatabase) {
      throw new EngifyError({
        code: 'DB_TARGET_DATABASE_MISSING',
        kind: 'config',
        message: m.databaseMissing(database),
        hint: m.databaseMissingHint,
      });
    }
    await createDatabase(ctx, database);
    target = await openTarget(ctx);
  }
  const db = target.executor as SqlExecutor;
  try {
    const pf = await preflight(ctx, t, target);
    // What is missing now must be what plan listed (an object someone created or dropped in between
    // would be created, or silently adopted, without review).
    if (change.details.kind === 'translate' && change.details.observed)
      assertAsPlanned('db.schema', change, 'the objects to create', change.details.create, pf.toCreate);
    // Objects intended by a run that crashed after its commit exist now: they are ours.
    const pending = ctx.journal.pendingIntents().filter((p) => p.kind !== 'database');
    if (pending.length > 0) {
      const byName = new Map(
        t.preLoad.filter((s) => s.creates).map((s) => [`${s.creates?.kind} ${s.creates?.name}`, s]),
      );
      await db.transaction(async (tx) => {
        await prepareSession(tx);
        for (const p of pending) {
          const s = byName.get(`${p.kind} ${p.name}`);
          if (s?.existsSql && (await tx.query(s.existsSql)).rows.length > 0) ctx.journal.created(p);
        }
      });
    }
    const outcome = await applyPreLoad(db, t.preLoad, {
      intent: (objects) => {
        for (const o of objects) ctx.journal.intent(toResource(o));
      },
      created: (objects) => {
        for (const o of objects) ctx.journal.created(toResource(o));
      },
      log: (line) => ctx.log(line),
    });
    for (const s of outcome.skipped) ctx.log(m.optionalSkipped(s.key, s.reason));
    ctx.journal.output('database', database);
    ctx.journal.output('schemas', schemasOf(ctx.config));
    ctx.journal.output('preLoadDone', true);
    ctx.journal.output('postLoadStatements', t.postLoad.length);
  } finally {
    await db.close();
  }
}

/**
 * Runs the post-load DDL (indexes, constraints, foreign keys, triggers, RLS, policies) on the target,
 * idempotently. db.copy calls it after the load, with one executor per parallel job, then records
 * `postLoadDone` so db.schema's verify checks these objects too.
 */
export async function applyPostLoad(
  executor: SqlExecutor | SqlExecutor[],
  plan: Pick<TranslatedSchema, 'postLoad'>,
  options: PostLoadOptions = {},
) {
  return runPostLoad(executor, plan, options);
}

async function verify(ctx: StepContext): Promise<Check[]> {
  const checks: Check[] = [];
  let target: TargetState | undefined;
  try {
    const t = await translateSource(ctx);
    target = await openTarget(ctx);
    checks.push({
      name: 'target database exists',
      expected: true,
      actual: target.exists,
      ok: target.exists,
      ...(target.exists ? {} : { hint: m.databaseMissingHint }),
    });
    if (!target.executor) return checks;
    const postLoad = ctx.journal.outputOf('db.copy', 'postLoadDone') === true;
    const actual = await introspectSchema(target.executor, [
      ...new Set([...schemasOf(ctx.config), ...t.kept.tables.map((x) => x.schema)]),
    ]);
    const diff = diffSchema(await inTargetsWords(t.kept, actual, target.executor), actual, { postLoad });
    checks.push({
      name: 'schema diff (tables, columns, types, keys, views, functions)',
      expected: [],
      actual: diff.map((d) => `${d.object}: ${d.problem}`),
      ok: diff.length === 0,
      ...(diff.length ? { hint: m.diffHint } : {}),
    });
    const { missing } = await target.executor.transaction(async (tx) => {
      await prepareSession(tx);
      return partition(tx, [
        ...t.preLoad.filter((s) => s.existsSql),
        ...(postLoad ? t.postLoad.filter((s) => s.existsSql) : []),
      ]);
    });
    checks.push({
      name: 'translated objects present (roles, grants, auth shim, extensions)',
      expected: [],
      actual: missing.map((s) => s.key),
      ok: missing.length === 0,
      ...(missing.length ? { hint: m.diffHint } : {}),
    });
    if (!postLoad) {
      checks.push({
        name: 'post-load objects (indexes, foreign keys, triggers, policies)',
        expected: 'built after db.copy',
        actual: 'pending',
        ok: false,
        skipped: true,
        hint: m.postLoadPendingHint,
      });
    }
  } catch (error) {
    checks.push({
      name: 'target schema readable',
      expected: true,
      actual: reason(error),
      ok: false,
      hint: error instanceof EngifyError && error.hint ? error.hint : m.verifyFailedHint,
    });
  } finally {
    await target?.executor?.close();
  }
  return checks;
}

const DROP_ORDER: DroppableKind[] = [
  'materialized view',
  'view',
  'table',
  'function',
  'procedure',
  'sequence',
  'domain',
  'type',
  'extension',
  'schema',
  'role',
];

async function rollback(ctx: StepContext): Promise<void> {
  const created = ctx.journal.createdResources();
  if (created.length === 0) return;
  const rds = rdsOf(ctx.config);
  const database = created.find((r) => r.kind === 'database');
  if (database) {
    // We created the database: dropping it removes everything else we made inside it; roles are cluster-wide.
    const roles = created.filter((r) => r.kind === 'role');
    await withMaintenance(ctx, async (db) => {
      await db.query(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
      for (const r of created.filter((x) => x.kind !== 'role' && x.kind !== 'database'))
        ctx.journal.undone({ resource: r });
      ctx.journal.undone({ resource: database });
      for (const r of roles) {
        await db.query(`DROP ROLE IF EXISTS ${r.name}`);
        ctx.journal.undone({ resource: r });
      }
    });
    return;
  }
  const db = await (await targetDb(ctx, 'db.schema')).executor({ signal: ctx.signal });
  const failures: string[] = [];
  try {
    for (const kind of DROP_ORDER) {
      const objects = created.filter((r) => r.kind === kind).reverse();
      if (objects.length === 0) continue;
      const drop = async (names: CreatedResource[]) => {
        if (kind === 'role') {
          for (const r of names) {
            const schemas = await db.query(
              `SELECT quote_ident(nspname) AS q FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`,
            );
            // The role is ours, so every privilege it holds was granted for it (also on tables kept with --force).
            for (const s of schemas.rows) {
              for (const what of [
                'SCHEMA',
                'ALL TABLES IN SCHEMA',
                'ALL SEQUENCES IN SCHEMA',
                'ALL FUNCTIONS IN SCHEMA',
              ]) {
                await db.query(`REVOKE ALL ON ${what} ${String(s.q)} FROM ${r.name}`);
              }
            }
            await db.query(`REVOKE ALL ON DATABASE ${quoteIdent(targetDatabaseName(rds))} FROM ${r.name}`);
            await db.query(`DROP ROLE IF EXISTS ${r.name}`);
          }
          return;
        }
        await db.query(`DROP ${kind.toUpperCase()} IF EXISTS ${names.map((n) => n.name).join(', ')}`);
      };
      try {
        // Tables go in one statement: foreign keys between them need no CASCADE then.
        if (kind === 'table') await drop(objects);
        else for (const o of objects) await drop([o]);
        for (const o of objects) ctx.journal.undone({ resource: o });
      } catch (error) {
        if (kind === 'table') {
          failures.push(...objects.map((o) => `${kind} ${o.name}`));
          ctx.log(reason(error));
          continue;
        }
        failures.push(`${kind}: ${reason(error)}`);
      }
    }
  } finally {
    await db.close();
  }
  if (failures.length > 0) {
    throw new EngifyError({
      code: 'DB_SCHEMA_ROLLBACK_INCOMPLETE',
      kind: 'system',
      message: m.rollbackFailed(failures),
      hint: m.rollbackFailedHint,
    });
  }
}

async function verifyRollback(ctx: StepContext): Promise<Check[]> {
  const checks: Check[] = [];
  const undone = ctx.journal.records().filter((r) => r.type === 'undone' && r.resource);
  const rds = ctx.config.target.rds;
  if (!rds) return checks;
  // A provisioned instance rolled back took every database on it along (db.instance verifies that).
  if (rds.mode === 'pg' && rds.instance && !ctx.journal.outputOf(INSTANCE_STEP, 'endpoint')) return checks;
  try {
    await withMaintenance(ctx, async (db) => {
      for (const r of undone) {
        if (r.type !== 'undone' || !r.resource) continue;
        if (r.resource.kind === 'database') {
          const q = await db.query(
            `SELECT 1 FROM pg_catalog.pg_database WHERE quote_ident(datname) = ${quoteLiteral(r.resource.name)}`,
          );
          checks.push({
            name: `database ${r.resource.name} dropped`,
            expected: false,
            actual: q.rows.length > 0,
            ok: q.rows.length === 0,
          });
        }
      }
    });
  } catch (error) {
    checks.push({
      name: 'target reachable',
      expected: true,
      actual: reason(error),
      ok: false,
      hint: m.verifyFailedHint,
    });
  }
  return checks;
}

export const dbSchemaStep: Step<SchemaAction> = {
  id: 'db.schema',
  phase: 1,
  component: 'db',
  title: m.stepTitle,
  // db.instance, when the config provisions the instance (a dependency that is not enabled is ignored).
  dependsOn: [INSTANCE_STEP],
  enabled: (config) => config.target.rds !== undefined,
  plan,
  apply,
  verify,
  rollback,
  verifyRollback,
};

export default dbSchemaStep;

/**
 * The expected model with its view definitions printed by the target's server when the two majors
 * differ (pg_get_viewdef's output changed in 16), so the diff compares meaning, not printing style.
 */
async function inTargetsWords(
  expected: SchemaModel,
  actual: SchemaModel,
  db: SqlExecutor,
): Promise<SchemaModel> {
  const major = (v: number) => Math.floor(v / 10000);
  if (major(expected.serverVersionNum) === major(actual.serverVersionNum) || expected.views.length === 0)
    return expected;
  const printed = await deparseOnTarget(
    db,
    expected.views.map((v) => v.definition),
  );
  return {
    ...expected,
    views: expected.views.map((v, i) => ({ ...v, definition: printed[i] ?? v.definition })),
  };
}
