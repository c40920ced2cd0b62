import type { Client } from 'pg';
import { qualified, quoteIdent } from '../../../sources/supabase/db/sql-text.js';
import type { SqlExecutor } from '../sql-executor.js';

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

/** Runs the statements on `targets` (one executor per parallel job); returns the names it built. */
export async function applyPostLoadDdl(
  targets: SqlExecutor[],
  statements: PostLoadStatement[],
): Promise<string[]> {
  const built: string[] = [];
  const runWave = async (wave: PostLoadStatement[]) => {
    const queue = [...wave];
    await Promise.all(
      targets.map(async (target) => {
        for (let s = queue.shift(); s; s = queue.shift()) {
          if (await exists(target, s)) continue;
          await target.query(s.sql);
          built.push(`${s.table}.${s.name}`);
        }
      }),
    );
  };
  // Constraints and indexes of one table compete for its lock; different tables build side by side.
  await runWave(statements.filter((s) => s.kind !== 'foreign-key'));
  await runWave(statements.filter((s) => s.kind === 'foreign-key'));
  return built;
}
