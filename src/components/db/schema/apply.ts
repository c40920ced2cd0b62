import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { SqlExecutor } from '../../../core/sql-executor.js';
import type { CreatedObject, Statement } from './statements.js';

// Runs translated statements on the target. Every statement is guarded by its existence check, so a
// rerun after a crash only does what is missing. Pre-load runs in one transaction (all or nothing);
// post-load runs statement by statement, tables side by side over several executors, foreign keys
// after the keys they reference, so db.copy can resume it and spread index builds over its jobs.

type Runner = Pick<SqlExecutor, 'query'>;

/** Names print fully qualified and SQL-language bodies are not resolved at creation (tables may come later). */
export async function prepareSession(db: Runner): Promise<void> {
  await db.query(
    `SELECT pg_catalog.set_config('search_path', '', true), pg_catalog.set_config('check_function_bodies', 'off', true)`,
  );
}

export async function isPresent(db: Runner, statement: Statement): Promise<boolean> {
  if (!statement.existsSql) return false;
  const r = await db.query(statement.existsSql);
  return r.rows.length > 0;
}

/** Splits statements into those whose objects exist already and those still to run (read-only). */
export async function partition(
  db: Runner,
  statements: Statement[],
): Promise<{ present: Statement[]; missing: Statement[] }> {
  const present: Statement[] = [];
  const missing: Statement[] = [];
  for (const s of statements) ((await isPresent(db, s)) ? present : missing).push(s);
  return { present, missing };
}

const failed = (statement: Statement, error: unknown) =>
  new EngifyError({
    code: 'DB_SCHEMA_STATEMENT_FAILED',
    kind: 'system',
    message: messages.db.statementFailed(
      statement.key,
      error instanceof Error ? error.message : String(error),
    ),
    hint: messages.db.statementFailedHint,
    detail: statement.sql,
    cause: error,
  });

export interface PreLoadHooks {
  /** Before the transaction: these objects are about to be created. */
  intent(objects: CreatedObject[]): void;
  /** After commit: these objects now exist and were created by us. */
  created(objects: CreatedObject[]): void;
  log?(message: string): void;
}

export interface ApplyOutcome {
  ran: string[];
  present: string[];
  /** Optional statements that failed (with the server's reason); the rest went on. */
  skipped: { key: string; reason: string }[];
}

/** Pre-load DDL in one transaction: nothing half-built remains when a statement fails. */
export async function applyPreLoad(
  executor: SqlExecutor,
  statements: Statement[],
  hooks: PreLoadHooks,
): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { ran: [], present: [], skipped: [] };
  let creating: CreatedObject[] = [];
  await executor.transaction(async (tx) => {
    await prepareSession(tx);
    const { present, missing } = await partition(tx, statements);
    outcome.present = present.map((s) => s.key);
    creating = missing.flatMap((s) => (s.creates ? [s.creates] : []));
    if (creating.length > 0) hooks.intent(creating);
    for (const s of missing) {
      if (s.optional) {
        await tx.query('SAVEPOINT engify_optional');
        try {
          await tx.query(s.sql);
          await tx.query('RELEASE SAVEPOINT engify_optional');
          outcome.ran.push(s.key);
        } catch (error) {
          await tx.query('ROLLBACK TO SAVEPOINT engify_optional');
          outcome.skipped.push({
            key: s.key,
            reason: error instanceof Error ? error.message : String(error),
          });
          hooks.log?.(
            messages.db.optionalSkipped(s.key, error instanceof Error ? error.message : String(error)),
          );
        }
        continue;
      }
      try {
        await tx.query(s.sql);
      } catch (error) {
        throw failed(s, error);
      }
      outcome.ran.push(s.key);
    }
  });
  if (creating.length > 0) hooks.created(creating);
  return outcome;
}

// Foreign keys are added NOT VALID, then validated side by side: ADD with validation holds SHARE ROW
// EXCLUSIVE on the referenced table, so keys into one table (every key into auth.users) would run one
// after another; VALIDATE takes only SHARE UPDATE EXCLUSIVE. A key NOT VALID on the source stays so. A
// crash between the two leaves a present but unvalidated key, which the rerun validates.
const FOREIGN_KEY = /^ALTER TABLE (.+?) ADD CONSTRAINT ("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*) FOREIGN KEY /;
const validated = (s: Statement) =>
  s.kind === 'foreign-key' && FOREIGN_KEY.test(s.sql) && !/\bNOT VALID\s*$/i.test(s.sql);

async function validateForeignKey(db: SqlExecutor, s: Statement): Promise<void> {
  const [, table = '', name = ''] = FOREIGN_KEY.exec(s.sql) ?? [];
  const bare = name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
  const pending = await db.query(
    `SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = $1::regclass AND conname = $2 AND NOT convalidated`,
    [table, bare],
  );
  if (pending.rows.length === 0) return;
  try {
    await db.query(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${name}`);
  } catch (error) {
    throw failed(s, error);
  }
}

/** A foreign key the load can keep valid without a check: validated on the source, added whole. */
export const attachableBeforeLoad = (s: Statement): boolean =>
  validated(s) && s.table !== undefined && s.references !== undefined;

export type AttachOutcome = 'attached' | 'present' | 'occupied';

/**
 * Adds a foreign key to its table while that holds no row, so ADD CONSTRAINT checks nothing (db.copy then
 * loads the table with triggers off). 'occupied' when the table holds rows already: the key is left to
 * applyPostLoad, which adds and validates it after the load. The check and the ADD share a transaction,
 * and ADD's lock keeps writers out from then on.
 */
export async function attachForeignKeyToEmpty(db: SqlExecutor, s: Statement): Promise<AttachOutcome> {
  const [, table] = FOREIGN_KEY.exec(s.sql) ?? [];
  if (!table || !attachableBeforeLoad(s)) return 'occupied';
  try {
    return await db.transaction(async (tx) => {
      if (await isPresent(tx, s)) return 'present';
      const rows = await tx.query(`SELECT EXISTS (SELECT 1 FROM ${table}) AS occupied`);
      if (rows.rows[0]?.occupied === true) return 'occupied';
      await tx.query(s.sql);
      return 'attached';
    });
  } catch (error) {
    throw failed(s, error);
  }
}

export interface PostLoadOptions {
  log?(message: string): void;
  /** Asked before each statement: once false, statements not yet started are left for a later call. */
  continueWhile?(): boolean;
  /**
   * Statements being built right now, by key, shared between calls that overlap (db.copy builds a loaded
   * table's indexes while other tables load, and starts the final post-load before that build is over):
   * a statement another call is building is awaited, then found present, never built twice.
   */
  running?: Map<string, Promise<unknown>>;
}

/**
 * Post-load DDL (indexes, constraints, foreign keys, triggers, policies), idempotent: what exists is
 * left alone. With several executors, indexes build side by side (CREATE INDEX takes a SHARE lock,
 * which does not conflict with itself) and constraints of different tables too (one table's in order:
 * ALTER TABLE locks it exclusively). Foreign keys wait for every key.
 */
export async function applyPostLoad(
  executors: SqlExecutor | SqlExecutor[],
  plan: { postLoad: Statement[] },
  options: PostLoadOptions = {},
): Promise<ApplyOutcome> {
  const pool = Array.isArray(executors) ? executors : [executors];
  if (pool.length === 0) throw new Error('applyPostLoad needs at least one executor');
  const outcome: ApplyOutcome = { ran: [], present: [], skipped: [] };
  const go = () => options.continueWhile?.() ?? true;
  const run = async (db: SqlExecutor, s: Statement) => {
    const other = options.running?.get(s.key);
    if (other) await other.catch(() => undefined);
    if (await isPresent(db, s)) {
      outcome.present.push(s.key);
      return;
    }
    try {
      await db.query(validated(s) ? `${s.sql} NOT VALID` : s.sql);
      outcome.ran.push(s.key);
    } catch (error) {
      if (s.optional) {
        outcome.skipped.push({
          key: s.key,
          reason: error instanceof Error ? error.message : String(error),
        });
        return;
      }
      throw failed(s, error);
    }
  };
  const tracked = (s: Statement) => async (db: SqlExecutor) => {
    const work = run(db, s);
    options.running?.set(s.key, work);
    try {
      await work;
    } finally {
      if (options.running?.get(s.key) === work) options.running.delete(s.key);
    }
  };
  type Task = (db: SqlExecutor) => Promise<void>;
  // Tasks of one group run in order on one session; groups run side by side on the pool.
  const stage = async (groups: Task[][]) => {
    const queue = [...groups];
    await Promise.all(
      pool.map(async (db) => {
        for (let group = queue.shift(); group && go(); group = queue.shift()) {
          for (const task of group) {
            if (!go()) return;
            await task(db);
          }
        }
      }),
    );
  };
  const of = (predicate: (s: Statement) => boolean) => plan.postLoad.filter(predicate);
  const each = (list: Statement[]) => list.map((s) => [tracked(s)]);
  const perTable = (list: Statement[]) => {
    const groups = new Map<string, Task[]>();
    for (const s of list) groups.set(s.table ?? s.key, [...(groups.get(s.table ?? s.key) ?? []), tracked(s)]);
    return [...groups.values()];
  };
  const keyIndex = (s: Statement) => s.kind === 'index' && s.backsKey === true;
  // The critical path first: the indexes behind keys, then the keys, then foreign keys added NOT VALID
  // (a short lock on both tables). Validating them (a full anti-join each) then runs beside the other
  // indexes, which it does not block: VALIDATE takes SHARE UPDATE EXCLUSIVE on the referencing table
  // and ROW SHARE on the referenced one. Ordered this way, the benchmark's last table spends one index
  // build less before its foreign key is validated.
  const stages: (() => Task[][])[] = [
    () => each(of(keyIndex)),
    () => perTable(of((s) => s.kind === 'constraint')),
    () => perTable(of((s) => s.kind === 'foreign-key')),
    () => [
      ...of((s) => validated(s)).map((s) => [(db: SqlExecutor) => validateForeignKey(db, s)]),
      ...each(of((s) => s.kind === 'index' && !keyIndex(s))),
    ],
    () => perTable(of((s) => s.kind === 'trigger' || s.kind === 'row-security' || s.kind === 'policy')),
    () => perTable(of((s) => s.kind === 'refresh')),
  ];
  for (const next of stages) {
    if (!go()) break;
    await stage(next());
  }
  options.log?.(messages.db.postLoadDone(outcome.ran.length, outcome.present.length));
  return outcome;
}
