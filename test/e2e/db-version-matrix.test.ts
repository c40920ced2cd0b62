import { afterAll, describe, expect, it } from 'vitest';
import { type PostgresCluster, startPostgresCluster } from '../../src/sandbox/postgres-cluster.js';
import type { PostgresMajor } from '../../src/sandbox/postgres-install.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { sourceDatabase, tableDigests, uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { query } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// The database path across PostgreSQL majors, on the shared Supabase fixture, through the built CLI:
// db.schema (phase 1), db.copy (phase 2), verify (schema diff, per-range checksums, FK orphans) and one
// logical sync pass after writes on the source, each leg on its own pair of clusters (system binaries
// where installed, else the embedded npm ones). A source newer than its target is refused.
//
// Legs: 15 -> 15 (the suite's default, also run everywhere else), 17 -> 17 (a new Supabase project
// into RDS 17), 15 -> 17 (an older Supabase project into a new RDS), and 17 -> 15 refused.

const ROWS = 1500;
const clusters: PostgresCluster[] = [];
const started = new Map<PostgresMajor, Promise<PostgresCluster>>();

function cluster(major: PostgresMajor, role: 'source' | 'target'): Promise<PostgresCluster> {
  // One source cluster and one target cluster per major, shared by the legs that use it.
  const key = (major * 10 + (role === 'source' ? 1 : 2)) as PostgresMajor;
  let c = started.get(key);
  if (!c) {
    c = startPostgresCluster({ major }).then((x) => {
      clusters.push(x);
      return x;
    });
    started.set(key, c);
  }
  return c;
}

afterAll(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

const out = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

async function leg(sourceMajor: PostgresMajor, targetMajor: PostgresMajor) {
  const [source, target] = await Promise.all([
    cluster(sourceMajor, 'source'),
    cluster(targetMajor, 'target'),
  ]);
  const src = sourceDatabase(source.url(), ROWS);
  const targetDb = uniqueName('tgt');
  const ws = e2eWorkspace((config) => {
    config.source = { supabase: { dbUrl: src.url } };
    config.target = {
      aws: { region: 'us-east-1' },
      rds: {
        mode: 'pg',
        url: withDatabase(target.url(), targetDb),
        createDatabase: true,
        copy: { splitBytes: 64 * 1024, maxRangesPerTable: 4 },
      },
    };
    config.sync = { mode: 'logical', maxLagSeconds: 5 };
    config.jobs = 2;
  });
  const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
  return { source, target, src, targetDb, targetUrl: withDatabase(target.url(), targetDb), cli };
}

describe.each([
  { from: 15 as const, to: 15 as const },
  { from: 17 as const, to: 17 as const },
  { from: 15 as const, to: 17 as const },
])('PostgreSQL $from -> $to', ({ from, to }) => {
  it('schema, copy, verify, sync: the target ends with exactly the source rows', async () => {
    const l = await leg(from, to);
    expect(l.source.major).toBe(from);
    expect(l.target.major).toBe(to);
    const ok = async (...args: string[]) => {
      const r = await l.cli(...args);
      expect(r.code, `${args.join(' ')}\n${out(r)}`).toBe(0);
      return r;
    };
    // Supabase grants ALL on app tables; from 17 on ALL includes MAINTAIN, which introspection reads
    // from the ACL like any other privilege and the target (17) must hold too.
    await query(l.src.url, 'GRANT ALL ON TABLE public.bots TO authenticated');
    await ok('apply', '--phase', '1', '--yes');
    await ok('apply', '--phase', '2', '--yes');
    const privileges = async (url: string) =>
      (
        await query<{ p: string }>(
          url,
          `SELECT a.privilege_type AS p FROM pg_class c, aclexplode(c.relacl) a
            WHERE c.oid = 'public.bots'::regclass AND a.grantee = 'authenticated'::regrole ORDER BY 1`,
        )
      ).map((r) => r.p);
    expect(await privileges(l.targetUrl)).toEqual(await privileges(l.src.url));
    expect((await privileges(l.src.url)).includes('MAINTAIN')).toBe(from >= 17);
    const verify = await ok('verify');
    expect(verify.stdout).toContain('db.schema: schema diff');
    expect(verify.stdout).not.toContain('✗');
    expect(await tableDigests(l.targetUrl)).toEqual(await tableDigests(l.src.url));
    // The second apply finds nothing to do on either major (the schema diff reads both sides alike).
    const again = await ok('plan', '--phase', '1');
    expect(out(again)).not.toMatch(/definition differs|missing/);

    // Writes on the source while both are live: one logical pass carries them.
    await query(
      l.src.url,
      `INSERT INTO public.wide (title, doc) SELECT 'live ' || g, jsonb_build_object('g', g)
         FROM generate_series(1, 40) g`,
    );
    await query(l.src.url, `UPDATE public.wide SET title = title || ' (edited)' WHERE amount < 100`);
    await query(l.src.url, `DELETE FROM public.wide_items WHERE id % 13 = 0`);
    await ok('sync', '--once');
    expect(await tableDigests(l.targetUrl)).toEqual(await tableDigests(l.src.url));
  });
});

describe('a source newer than the target', () => {
  it('17 -> 15 is refused by plan before anything is written, naming both versions', async () => {
    const l = await leg(17, 15);
    const plan = await l.cli('plan');
    expect(plan.code, out(plan)).not.toBe(0);
    expect(out(plan)).toContain(
      'The source runs PostgreSQL 17 and the target 15: a schema cannot move to an older major version.',
    );
    expect(out(plan)).toContain('Create the RDS instance with PostgreSQL 17 or newer');
    const rows = await query(l.target.url(), 'SELECT 1 FROM pg_database WHERE datname = $1', [l.targetDb]);
    expect(rows.length).toBe(0);
  });
});
