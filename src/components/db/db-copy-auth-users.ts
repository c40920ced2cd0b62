import type { Client } from 'pg';
import type { SqlExecutor } from '../../core/sql-executor.js';
import { readTables, type TableInfo } from '../../providers/postgres/catalog.js';
import { AUTH_USERS_COLUMNS } from './schema/auth-shim.js';

// The target's auth.users shim (db.schema) must hold the source's users before post-load adds the
// foreign keys into it. db.copy loads it like any other table (same snapshot, same ranges, checkpoints
// and range-replace), but only with the shim's columns: password hashes and tokens never leave the
// source, whatever columns the target's table happens to have.

export const AUTH_USERS_KEY = 'auth.users';
const SHIM_COLUMNS = new Set(AUTH_USERS_COLUMNS.map((c) => c.name));
const SECRET_COLUMN = /password|token|secret/i;

/**
 * auth.users as db.copy copies it, or nothing when there is no shim to fill: the target has no
 * auth.users, the source has none, or `auth` is a copied schema already (then it is an ordinary table).
 */
export async function authUsersTables(
  source: Client,
  target: Pick<SqlExecutor, 'query'>,
  schemas: string[],
): Promise<TableInfo[]> {
  if (schemas.includes('auth')) return [];
  const present = await target.query(`SELECT to_regclass('auth.users') IS NOT NULL AS present`);
  const flag = present.rows[0]?.present;
  if (!(flag === true || flag === 't')) return [];
  const targetColumns = await target.query(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = 'auth.users'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''`,
  );
  const targetType = new Map(targetColumns.rows.map((r) => [String(r.name), String(r.type)]));
  const table = (await readTables(source, ['auth'])).find((t) => t.name === 'users');
  if (!table) return [];
  const columns = table.columns.filter(
    (c) => SHIM_COLUMNS.has(c.name) && !SECRET_COLUMN.test(c.name) && !c.generated && targetType.has(c.name),
  );
  const names = new Set(columns.map((c) => c.name));
  const keyed = table.primaryKey.length > 0 && table.primaryKey.every((k) => names.has(k));
  return [
    {
      ...table,
      columns,
      primaryKey: keyed ? table.primaryKey : [],
      keyKind: keyed ? table.keyKind : null,
      keyType: keyed ? table.keyType : null,
      keyCollatable: keyed ? table.keyCollatable : false,
      // Binary COPY needs the same types on both sides; a differing column goes as text (cast on COPY FROM).
      binarySafe: table.binarySafe && columns.every((c) => targetType.get(c.name) === c.type),
      // FIXME: kept out of db.copy's publication: on Supabase auth.users belongs to supabase_auth_admin,
      // and a publication the app's role cannot extend would fail as a whole. Sync of user changes is
      // the auth migration's job.
      publishable: false,
    },
  ];
}
