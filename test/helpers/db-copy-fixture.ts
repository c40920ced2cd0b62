import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// Source and target databases for the db.copy tests: the shared Supabase-shaped fixture plus a few
// larger tables (so tables split into several key ranges), and the target's tables created from the
// source's pre-data schema (the job of db.schema, which these tests do not depend on).

export const fixturePath = join(import.meta.dirname, '..', 'fixtures', 'supabase-fixture.sql');

/** Bigger app tables: a wide one keyed by uuid, a bigint-keyed one with a FK, rows spread over many ranges. */
export const EXTRA_SQL = (rows: number) => `
CREATE TABLE public.wide (
  id uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4(),
  title text NOT NULL,
  tags text[],
  doc jsonb,
  amount numeric(14, 4),
  seen_at timestamptz,
  blob bytea
);
CREATE INDEX wide_seen_idx ON public.wide (seen_at);
INSERT INTO public.wide (id, title, tags, doc, amount, seen_at, blob)
SELECT md5('w' || g)::uuid, 'title ' || g || repeat(' x', g % 40), ARRAY['t' || (g % 7), 'k''' || (g % 3)],
       jsonb_build_object('g', g, 'even', g % 2 = 0, 'nested', jsonb_build_object('v', g * 1.5)),
       (g * 3.1415)::numeric(14, 4), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',
       decode(md5(g::text), 'hex')
  FROM generate_series(1, ${rows}) g;
CREATE TABLE public.wide_items (
  id bigserial PRIMARY KEY,
  wide_id uuid NOT NULL REFERENCES public.wide (id),
  qty integer NOT NULL,
  note text
);
INSERT INTO public.wide_items (wide_id, qty, note)
SELECT md5('w' || (1 + g % ${rows}))::uuid, g % 17, CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END
  FROM generate_series(1, ${rows}) g;
INSERT INTO public.events (occurred_at, kind, payload)
SELECT timestamptz '2024-06-01 00:00:00+00' + g * interval '1 second', 'bulk', jsonb_build_object('i', g)
  FROM generate_series(1, 200) g;
ANALYZE;
`;

const sqlChild = join(import.meta.dirname, 'sql-child.mjs');

/** Runs a script (one or many statements) synchronously; prints the last result as `psql -At` would. */
const execSql = (url: string, file: string, input?: string) =>
  execFileSync(process.execPath, [sqlChild, url, file], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString();

export function runSql(url: string, sql: string): string {
  return execSql(url, '-', sql);
}

export async function query<T extends Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export function seedSource(url: string, rows: number): void {
  execSql(url, fixturePath);
  execSql(url, '-', EXTRA_SQL(rows));
}

/**
 * The target gets the tables, types and sequences of what seedSource creates, and nothing pg_dump would
 * put in its post-data section (indexes, constraints other than CHECK, triggers, policies) and no data:
 * the job of db.schema, which these tests do not depend on. Built from the same fixture rather than by
 * `pg_dump --section=pre-data`, so the tests run where no PostgreSQL client tools are installed.
 */
export function createTargetSchema(targetUrl: string): void {
  execSql(targetUrl, fixturePath);
  execSql(targetUrl, '-', EXTRA_SQL(0));
  runSql(targetUrl, STRIP_TO_PRE_DATA);
}

const APP_SCHEMAS = "('public', 'auth', 'storage', 'realtime')";

const STRIP_TO_PRE_DATA = `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname AS tab, n.nspname AS sch, p.polname AS pol
             FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ${APP_SCHEMAS} LOOP
    EXECUTE format('DROP POLICY %I ON %I.%I', r.pol, r.sch, r.tab);
  END LOOP;
  FOR r IN SELECT c.relname AS tab, n.nspname AS sch, t.tgname AS trg
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND n.nspname IN ${APP_SCHEMAS} LOOP
    EXECUTE format('DROP TRIGGER %I ON %I.%I', r.trg, r.sch, r.tab);
  END LOOP;
  -- Foreign keys first: the keys they reference cannot go while they stand.
  FOR r IN SELECT c.relname AS tab, n.nspname AS sch, k.conname AS con
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ${APP_SCHEMAS} AND k.contype IN ('f', 'p', 'u', 'x')
            ORDER BY k.contype = 'f' DESC LOOP
    EXECUTE format('ALTER TABLE %I.%I DROP CONSTRAINT %I', r.sch, r.tab, r.con);
  END LOOP;
  FOR r IN SELECT n.nspname AS sch, i.relname AS idx
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
            WHERE n.nspname IN ${APP_SCHEMAS} LOOP
    EXECUTE format('DROP INDEX %I.%I', r.sch, r.idx);
  END LOOP;
  FOR r IN SELECT n.nspname AS sch, c.relname AS tab
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname IN ${APP_SCHEMAS} LOOP
    EXECUTE format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY', r.sch, r.tab);
    EXECUTE format('TRUNCATE %I.%I RESTART IDENTITY CASCADE', r.sch, r.tab);
  END LOOP;
  FOR r IN SELECT n.nspname AS sch, c.relname AS seq
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'S' AND n.nspname IN ${APP_SCHEMAS} LOOP
    EXECUTE format('ALTER SEQUENCE %I.%I RESTART', r.sch, r.seq);
  END LOOP;
END $$`;

export function createDatabase(clusterUrl: string, name: string): void {
  runSql(clusterUrl, `CREATE DATABASE ${name}`);
}

/** A config file on disk (the child process test needs the path). */
export function writeConfig(config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'engify-dbcopy-'));
  const path = join(dir, 'migrations.config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export function copyConfig(
  sourceUrl: string,
  targetUrl: string,
  extra: { jobs?: number; splitBytes?: number; maxRanges?: number; project?: string } = {},
) {
  return {
    project: extra.project ?? 'dbcopy-test',
    source: { supabase: { dbUrl: sourceUrl, schemas: ['public'] } },
    target: {
      aws: { region: 'eu-west-1' },
      rds: {
        mode: 'pg',
        url: targetUrl,
        copy: { splitBytes: extra.splitBytes ?? 64 * 1024, maxRangesPerTable: extra.maxRanges ?? 8 },
      },
    },
    jobs: extra.jobs ?? 2,
  };
}
