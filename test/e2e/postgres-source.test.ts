import { describe, expect, inject, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { databaseExists, tableDigests, uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { query, runSql } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { seedPlainSource } from '../helpers/postgres-fixture.js';

// Any PostgreSQL as the database source (source.postgres: Neon, a self-hosted server), through the
// BUILT CLI: the same schema translation, copy, verify, sync and rollback as for Supabase, on the shared
// fixture without its Supabase parts.

const out = (r: CliResult) => r.stdout + r.stderr;
const plain = { auth: false };

function plainWorkspace() {
  const cluster = inject('stack').postgresUrl;
  const sourceName = uniqueName('plain');
  runSql(cluster, `CREATE DATABASE ${sourceName}`);
  const sourceUrl = withDatabase(cluster, sourceName);
  seedPlainSource(sourceUrl, 3000);
  const target = uniqueName('tgt');
  const ws = e2eWorkspace((config) => {
    config.source = { postgres: { url: sourceUrl } };
    config.target = {
      aws: { region: 'us-east-1' },
      rds: {
        mode: 'pg',
        url: withDatabase(cluster, target),
        createDatabase: true,
        copy: { splitBytes: 64 * 1024, maxRangesPerTable: 4 },
      },
    };
    config.jobs = 2;
  });
  const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
  return { ...ws, cluster, sourceUrl, target, targetUrl: withDatabase(cluster, target), cli };
}

describe('source.postgres: a plain PostgreSQL database as the source', () => {
  it('migrates, verifies, syncs a new write and rolls back, with no Supabase parts on the target', async () => {
    const w = plainWorkspace();
    const plan = await w.cli('plan');
    expect(plan.code, out(plan)).toBe(0);
    expect(out(plan)).toContain('db.schema');
    expect(out(plan)).not.toContain('auth shim');

    const p1 = await w.cli('apply', '--phase', '1', '--yes');
    expect(p1.code, out(p1)).toBe(0);
    const p2 = await w.cli('apply', '--phase', '2', '--yes');
    expect(p2.code, out(p2)).toBe(0);
    const verify = await w.cli('verify');
    expect(verify.code, out(verify)).toBe(0);
    expect(await tableDigests(w.targetUrl, plain)).toEqual(await tableDigests(w.sourceUrl, plain));
    // Nothing of Supabase was made on the target: no auth shim, no API roles granted anything.
    const auth = await query<{ n: string }>(
      w.targetUrl,
      "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'auth'",
    );
    expect(auth[0]?.n).toBe('0');
    const policies = await query<{ policyname: string; roles: string }>(
      w.targetUrl,
      "SELECT policyname, roles::text FROM pg_policies WHERE tablename = 'bots'",
    );
    expect(policies).toEqual([{ policyname: 'owners read bots', roles: '{public}' }]);

    // A write on the source after the copy comes over with sync.
    runSql(
      w.sourceUrl,
      "INSERT INTO public.accounts (id, email, created_at) VALUES ('00000000-0000-4000-8000-000000000099', 'late@example.com', now())",
    );
    const sync = await w.cli('sync', '--once');
    expect(sync.code, out(sync)).toBe(0);
    expect(await tableDigests(w.targetUrl, plain)).toEqual(await tableDigests(w.sourceUrl, plain));

    const rollback = await w.cli('rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
    expect(await databaseExists(w.cluster, w.target)).toBe(false);
    // The source is never touched: its slot and publication made by db.copy are gone with the rollback.
    const slots = await query<{ n: string }>(
      w.sourceUrl,
      'SELECT count(*) AS n FROM pg_replication_slots WHERE database = current_database()',
    );
    expect(slots[0]?.n).toBe('0');
  });

  it('refuses a config that names two database sources, naming the field', async () => {
    const w = plainWorkspace();
    const config = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(w.configPath, 'utf8')));
    config.source.supabase = { dbUrl: w.sourceUrl };
    await import('node:fs').then((fs) => fs.writeFileSync(w.configPath, JSON.stringify(config)));
    const plan = await w.cli('plan');
    expect(plan.code, out(plan)).toBe(2);
    expect(out(plan)).toContain('source.postgres');
    expect(out(plan)).toContain('one database source');
  });
});
