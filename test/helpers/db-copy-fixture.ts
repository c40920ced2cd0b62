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

/** The target gets the source's tables, types and sequences (no indexes, constraints or data). */
export function createTargetSchema(sourceUrl: string, targetUrl: string): void {
  runSql(
    targetUrl,
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
     END $$`,
  );
  const dump = execFileSync('pg_dump', [
    '--schema-only',
    '--section=pre-data',
    '--no-publications',
    '-d',
    sourceUrl,
  ]).toString();
  // pg_dump 15.14+ brackets the script with psql's \restrict meta-commands, which only psql knows.
  execSql(targetUrl, '-', dump.replace(/^\\(un)?restrict .*$/gm, ''));
}

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
