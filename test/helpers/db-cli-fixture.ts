import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { query, runSql, seedSource } from './db-copy-fixture.js';

// Databases for the db CLI tests on one PostgreSQL cluster: a Supabase-shaped source per test (the
// shared fixture plus bigger tables that split into key ranges) and a target database name that
// db.schema creates. Helpers to fingerprint data on both sides.

let counter = 0;

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`.toLowerCase();
}

/** A new source database on the cluster, seeded; returns its URL. */
export function sourceDatabase(clusterUrl: string, rows: number): { name: string; url: string } {
  const name = uniqueName('src');
  runSql(clusterUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(clusterUrl, name);
  seedSource(url, rows);
  return { name, url };
}

export function withDatabase(clusterUrl: string, database: string): string {
  const u = new URL(clusterUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Hash of every row and sequence state of the source's data schemas, read through the driver (no
 * pg_dump on a bare machine). Rows are hashed in their text form in sorted order, so the result only
 * changes when the data does.
 */
export async function dataFingerprint(url: string): Promise<string> {
  const relations = await query<{ r: string; kind: string }>(
    url,
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS r, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('public', 'auth', 'storage') AND c.relkind IN ('r', 'p', 'S')
      ORDER BY 1`,
  );
  const hash = createHash('sha256');
  for (const { r, kind } of relations) {
    const sql =
      kind === 'S'
        ? `SELECT last_value || ':' || is_called AS d FROM ${r}`
        : `SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS d FROM ${r} x`;
    const [row] = await query<{ d: string }>(url, sql);
    hash.update(`${r}=${row?.d ?? ''}\n`);
  }
  return hash.digest('hex');
}

const AUTH_COLUMNS = ['id', 'email', 'phone', 'raw_user_meta_data', 'created_at'];

/** Per table: row count and an order-independent hash of the rows' text (public tables and auth.users). */
/** Digests of every public table, and of auth.users (the columns the shim keeps) unless `auth` is false. */
export async function tableDigests(
  url: string,
  options: { auth?: boolean } = {},
): Promise<Record<string, string>> {
  const tables = await query<{ t: string }>(
    url,
    `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS t FROM pg_tables
      WHERE schemaname = 'public' ORDER BY 1`,
  );
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    const [row] = await query<{ d: string }>(
      url,
      `SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS d FROM ${t} x`,
    );
    out[t] = row?.d ?? '';
  }
  if (options.auth === false) return out;
  const cols = AUTH_COLUMNS.join(', ');
  const [auth] = await query<{ d: string }>(
    url,
    `SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS d
       FROM (SELECT ${cols} FROM auth.users) x`,
  );
  out['auth.users'] = auth?.d ?? '';
  return out;
}

export async function databaseExists(clusterUrl: string, name: string): Promise<boolean> {
  const rows = await query(clusterUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length > 0;
}

export function journalText(dir: string): string {
  const file = join(dir, '.engify', 'journal.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
