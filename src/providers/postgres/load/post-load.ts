import type { Client } from 'pg';
import type { SqlExecutor } from '../../../core/sql-executor.js';
import { qualified, quoteIdent } from '../sql-text.js';

// Indexes and constraints built after the load (cheaper than maintaining them row by row), read from the
// source catalog: primary/unique/exclusion constraints and plain indexes first, in parallel, then foreign
// keys (they need the referenced keys). Anything already on the target under the same name is left alone,
// so a rerun after a crash only builds what is missing.
// FIXME: minimal stand-in for the schema side's post-load DDL (translation of Supabase-only objects,
// policies, triggers belong there); used when that is not available.

export interface PostLoadStatement {
  table: string;
  name: string;
  kind: 'constraint' | 'index' | 'foreign-key';
  sql: string;
}

export async function readPostLoadDdl(source: Client, schemas: string[]): Promise<PostLoadStatement[]> {
  const { rows: constraints } = await source.query<{
    schema: string;
    tbl: string;
    name: string;
    contype: string;
    def: string;
  }>(
    `SELECT n.nspname AS schema, c.relname AS tbl, con.conname AS name, con.contype::text AS contype,
            pg_get_constraintdef(con.oid) AS def
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind = 'r' AND con.contype IN ('p', 'u', 'x', 'f')
        -- A key into a schema that is not copied (auth.users is filled by the auth migration) cannot be
        -- validated now; the schema side owns it.
        AND (con.contype <> 'f' OR (SELECT rn.nspname FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace
                                    WHERE r.oid = con.confrelid) = ANY($1::text[]))
      ORDER BY con.contype = 'f', n.nspname, c.relname, con.conname`,
    [schemas],
  );
  const { rows: indexes } = await source.query<{ schema: string; tbl: string; name: string; def: string }>(
    `SELECT n.nspname AS schema, c.relname AS tbl, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE n.nspname = ANY($1::text[]) AND c.relkind = 'r'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid)
      ORDER BY n.nspname, c.relname, ic.relname`,
    [schemas],
  );
  const out: PostLoadStatement[] = [];
  for (const c of constraints) {
    out.push({
      table: `${c.schema}.${c.tbl}`,
      name: c.name,
      kind: c.contype === 'f' ? 'foreign-key' : 'constraint',
      sql: `ALTER TABLE ${qualified(c.schema, c.tbl)} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.def}`,
    });
  }
  for (const i of indexes) {
    out.push({
      table: `${i.schema}.${i.tbl}`,
      name: i.name,
      kind: 'index',
      sql: i.def.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS '),
    });
  }
  return out;
}

async function exists(target: SqlExecutor, s: PostLoadStatement): Promise<boolean> {
  const [schema] = s.table.split('.', 1);
  if (s.kind === 'index') {
    const r = await target.query(
      'SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
      [schema ?? 'public', s.name],
    );
    return r.rows.length > 0;
  }
  const r = await target.query(
    `SELECT 1 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND con.conname = $3`,
    [schema ?? 'public', s.table.slice((schema ?? '').length + 1), s.name],
  );
  return r.rows.length > 0;
}

/**
 * Sessions that build indexes get more sort memory (a 1M-row index sorts in memory instead of spilling)
 * and may use parallel workers. Best effort: a server that refuses a setting still builds, only slower.
 */
export async function tuneMaintenanceSession(
  target: Pick<SqlExecutor, 'query' | 'capabilities'>,
): Promise<void> {
  // Data API calls do not keep a session: a SET there would land on whichever connection served it.
  if (!target.capabilities.copy) return;
  for (const setting of [`SET maintenance_work_mem = '256MB'`, 'SET max_parallel_maintenance_workers = 2'])
    await target.query(setting).catch(() => undefined);
}

const foreignKeyName = (s: PostLoadStatement) => {
  const [schema = 'public'] = s.table.split('.', 1);
  return { schema, table: s.table.slice(schema.length + 1), name: s.name };
};

async function foreignKeyPending(target: SqlExecutor, s: PostLoadStatement): Promise<boolean> {
  const k = foreignKeyName(s);
  const r = await target.query(
    `SELECT NOT con.convalidated AS pending FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND con.conname = $3`,
    [k.schema, k.table, k.name],
  );
  const v = r.rows[0]?.pending;
  return v === true || v === 't';
}

/** Runs the statements on `targets` (one executor per parallel job); returns the names it built. */
export async function applyPostLoadDdl(
  targets: SqlExecutor[],
  statements: PostLoadStatement[],
): Promise<string[]> {
  const built: string[] = [];
  const runQueue = async <T>(items: T[], work: (target: SqlExecutor, item: T) => Promise<void>) => {
    const queue = [...items];
    await Promise.all(
      targets.map(async (target) => {
        for (let item = queue.shift(); item; item = queue.shift()) await work(target, item);
      }),
    );
  };
  // Constraints and indexes of one table compete for its lock; different tables build side by side.
  await runQueue(
    statements.filter((s) => s.kind !== 'foreign-key'),
    async (target, s) => {
      if (await exists(target, s)) return;
      await target.query(s.sql);
      built.push(`${s.table}.${s.name}`);
    },
  );
  // Foreign keys: added NOT VALID (a short lock on both tables, which would serialise every key into one
  // referenced table), then validated side by side (VALIDATE only takes SHARE UPDATE EXCLUSIVE).
  // A source key that is itself NOT VALID stays so. A crash between the two steps leaves a key that the
  // rerun finds present but pending, and validates.
  const keys = statements.filter((s) => s.kind === 'foreign-key');
  const validating = keys.filter((s) => !/\bNOT VALID\s*$/i.test(s.sql));
  for (const s of keys) {
    const target = targets[0];
    if (!target || (await exists(target, s))) continue;
    await target.query(validating.includes(s) ? `${s.sql} NOT VALID` : s.sql);
    built.push(`${s.table}.${s.name}`);
  }
  await runQueue(validating, async (target, s) => {
    if (!(await foreignKeyPending(target, s))) return;
    const k = foreignKeyName(s);
    await target.query(
      `ALTER TABLE ${qualified(k.schema, k.table)} VALIDATE CONSTRAINT ${quoteIdent(k.name)}`,
    );
  });
  return built;
}
