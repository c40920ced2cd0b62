import { describe, expect, inject, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import {
  databaseExists,
  dataFingerprint,
  journalText,
  sourceDatabase,
  tableDigests,
  uniqueName,
  withDatabase,
} from '../helpers/db-cli-fixture.js';
import { query } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { mulberry32 } from '../helpers/seeded-random.js';

// db.schema (phase 1) and db.copy (phase 2) through the BUILT CLI, as a user runs them, against
// databases of the shared PostgreSQL 15 cluster: a Supabase-shaped source and a target database that
// db.schema creates. Only the db sections are configured, so every other step is disabled.

const ROWS = 4000;

function dbWorkspace(rows = ROWS, copy: Record<string, unknown> = {}) {
  const cluster = inject('stack').postgresUrl;
  const source = sourceDatabase(cluster, rows);
  const target = uniqueName('tgt');
  const ws = e2eWorkspace((config) => {
    config.source = { supabase: { dbUrl: source.url } };
    config.target = {
      aws: { region: 'us-east-1' },
      rds: {
        mode: 'pg',
        url: withDatabase(cluster, target),
        createDatabase: true,
        copy: { splitBytes: 64 * 1024, maxRangesPerTable: 8, ...copy },
      },
    };
    config.jobs = 2;
  });
  const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
  return { ...ws, cluster, source, target, targetUrl: withDatabase(cluster, target), cli };
}

const out = (r: CliResult) => r.stdout + r.stderr;

type Workspace = ReturnType<typeof dbWorkspace>;

/** apply --phase 2 in a child process, SIGKILLed as soon as `cut` holds for the journal (polled every ms). */
const applyKilledWhen = (w: Workspace, cut: (journal: string) => boolean) =>
  runCli(['--config', w.configPath, 'apply', '--phase', '2', '--yes'], {
    env: w.env,
    onSpawn: (child) => {
      const watch = setInterval(() => {
        if (cut(journalText(w.dir))) {
          child.kill('SIGKILL');
          clearInterval(watch);
        }
      }, 1);
      child.on('exit', () => clearInterval(watch));
    },
  });

/** The rerun after a kill: apply succeeds (taking over the dead run's lock), verify passes, rows are exact. */
async function rerunToParity(w: Workspace) {
  const rerun = await w.cli('apply', '--phase', '2', '--yes');
  expect(rerun.code, out(rerun)).toBe(0);
  const verify = await w.cli('verify');
  expect(verify.code, out(verify)).toBe(0);
  expect(await tableDigests(w.targetUrl)).toEqual(await tableDigests(w.source.url));
}

describe('db migration through the CLI', () => {
  it('phase 1 + phase 2, verify, noop rerun, FKs into auth.users, rollback leaves the source untouched', async () => {
    const w = dbWorkspace();
    const before = await dataFingerprint(w.source.url);

    const p1 = await w.cli('apply', '--phase', '1', '--yes');
    expect(p1.code, out(p1)).toBe(0);
    expect(await databaseExists(w.cluster, w.target)).toBe(true);
    const p2 = await w.cli('apply', '--phase', '2', '--yes');
    expect(p2.code, out(p2)).toBe(0);

    const verify = await w.cli('verify');
    expect(verify.code, out(verify)).toBe(0);
    for (const t of ['public.wide', 'public.wide_items', 'public.bots', 'public.events', 'auth.users'])
      expect(verify.stdout).toMatch(new RegExp(`✓ db\\.copy: db\\.copy parity ${t.replace('.', '\\.')}`));
    expect(verify.stdout).toContain('db.schema: schema diff');
    expect(verify.stdout).not.toContain('✗');
    expect(await tableDigests(w.targetUrl)).toEqual(await tableDigests(w.source.url));

    // Foreign keys into the auth.users shim are on the target (the shim is loaded by db.copy first).
    const fks = await query<{ name: string }>(
      w.targetUrl,
      `SELECT conname AS name FROM pg_constraint WHERE contype = 'f' AND confrelid = 'auth.users'::regclass ORDER BY 1`,
    );
    expect(fks.map((f) => f.name)).toEqual([
      'bot_members_user_id_fkey',
      'bots_owner_id_fkey',
      'profiles_id_fkey',
    ]);
    // None is left NOT VALID (the post-load validates whatever it adds NOT VALID).
    const pending = await query(
      w.targetUrl,
      `SELECT 1 FROM pg_constraint WHERE contype = 'f' AND NOT convalidated`,
    );
    expect(pending.length).toBe(0);
    // Keys between copied tables were attached while their table was still empty (it waited for the
    // tables it references), so nothing validated them on the target: verify counts their orphans.
    const attached = [
      'public.bot_members.bot_members_bot_id_fkey',
      'public.bot_members.bot_members_user_id_fkey',
      'public.bots.bots_owner_id_fkey',
      'public.documents.documents_bot_id_fkey',
      'public.profiles.profiles_id_fkey',
      'public.wide_items.wide_items_wide_id_fkey',
    ];
    for (const key of attached)
      expect(verify.stdout).toContain(
        `✓ db.copy: db.copy foreign key ${key} (attached before the load): no orphan rows`,
      );
    expect(journalText(w.dir)).toMatch(/"key":"foreignKeysBeforeLoad"/);
    // An orphan slipped in past the (disabled) triggers is found and named.
    const orphan = `SET session_replication_role = replica; INSERT INTO public.documents (bot_id, title) VALUES (987654, 'orphan')`;
    await query(w.targetUrl, orphan);
    const broken = await w.cli('verify');
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toContain(
      '✗ db.copy: db.copy foreign key public.documents.documents_bot_id_fkey (attached before the load): no orphan rows',
    );
    expect(out(broken)).toContain('1 row(s) of public.documents reference no row of the referenced table');
    await query(w.targetUrl, `DELETE FROM public.documents WHERE title = 'orphan'`);
    // Password hashes never reach the target.
    const cols = await query<{ c: string }>(
      w.targetUrl,
      `SELECT attname AS c FROM pg_attribute WHERE attrelid = 'auth.users'::regclass AND attnum > 0`,
    );
    expect(cols.map((c) => c.c)).not.toContain('encrypted_password');
    expect(journalText(w.dir)).toMatch(/"key":"postLoadDone","value":true/);

    const rerun = await w.cli('apply', '--phase', '2', '--yes');
    expect(rerun.code, out(rerun)).toBe(0);
    expect(rerun.stdout).toContain(
      'db.copy  Copy every table from one consistent snapshot: in step, nothing to do',
    );

    const rollback = await w.cli('rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
    expect(await databaseExists(w.cluster, w.target)).toBe(false);
    const slots = await query(
      w.source.url,
      `SELECT 1 FROM pg_replication_slots WHERE database = current_database()`,
    );
    const pubs = await query(w.source.url, 'SELECT 1 FROM pg_publication');
    expect({ slots: slots.length, publications: pubs.length }).toEqual({ slots: 0, publications: 0 });
    expect(await dataFingerprint(w.source.url)).toBe(before);
  }, 90_000);

  it('foreignKeys "after-load": every table loads at once, every key is added and validated after the load', async () => {
    const w = dbWorkspace(ROWS, { foreignKeys: 'after-load' });
    expect((await w.cli('apply', '--phase', '1', '--yes')).code).toBe(0);
    const p2 = await w.cli('apply', '--phase', '2', '--yes');
    expect(p2.code, out(p2)).toBe(0);
    const verify = await w.cli('verify');
    expect(verify.code, out(verify)).toBe(0);
    expect(verify.stdout).not.toContain('attached before the load');
    expect(journalText(w.dir)).not.toMatch(/"key":"foreignKeysBeforeLoad"/);
    const fks = await query<{ valid: boolean }>(
      w.targetUrl,
      `SELECT convalidated AS valid FROM pg_constraint WHERE contype = 'f'`,
    );
    expect(fks.length).toBe(6);
    expect(fks.every((f) => f.valid)).toBe(true);
    expect(await tableDigests(w.targetUrl)).toEqual(await tableDigests(w.source.url));
    expect((await w.cli('rollback', '--yes')).code).toBe(0);
  }, 90_000);

  it('kill -9 right after a foreign key is attached to a waiting table, then rerun: exact parity', async () => {
    const w = dbWorkspace(6000);
    expect((await w.cli('apply', '--phase', '1', '--yes')).code).toBe(0);
    const killed = await applyKilledWhen(w, (journal) => /"key":"foreignKeysBeforeLoad"/.test(journal));
    expect(killed.signal).toBe('SIGKILL');
    expect(journalText(w.dir)).not.toMatch(/"type":"success","stepId":"db.copy"/);
    await rerunToParity(w);
    const pending = await query(
      w.targetUrl,
      `SELECT 1 FROM pg_constraint WHERE contype = 'f' AND NOT convalidated`,
    );
    expect(pending.length).toBe(0);
    expect((await w.cli('rollback', '--yes')).code).toBe(0);
  }, 90_000);

  it('kill -9 of apply --phase 2 at a seeded random moment, then rerun: verify passes with exact parity', async () => {
    const w = dbWorkspace(12000);
    const p1 = await w.cli('apply', '--phase', '1', '--yes');
    expect(p1.code, out(p1)).toBe(0);

    // Kill points are journal positions, not wall-clock delays, so the kill lands mid-copy however
    // loaded the machine is. A twin copy of the same data says how many checkpoints a copy writes.
    const twin = dbWorkspace(12000);
    expect((await twin.cli('apply', '--phase', '1', '--yes')).code).toBe(0);
    expect((await twin.cli('apply', '--phase', '2', '--yes')).code).toBe(0);
    const checkpoint = /"type":"checkpoint","stepId":"db\.copy"/g;
    const total = (journalText(twin.dir).match(checkpoint) ?? []).length;
    await twin.cli('rollback', '--yes');
    expect(total).toBeGreaterThan(1);

    const seed = 20260514;
    const killAt = 1 + Math.floor(mulberry32(seed)() * (total - 1));
    const killed = await applyKilledWhen(w, (journal) => (journal.match(checkpoint) ?? []).length >= killAt);
    const journal = journalText(w.dir);
    const cutMidCopy = killed.signal === 'SIGKILL' && !/"type":"success","stepId":"db.copy"/.test(journal);
    expect(cutMidCopy, `seed ${seed}, killed at checkpoint ${killAt} of ${total}`).toBe(true);

    await rerunToParity(w);

    const rollback = await w.cli('rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
    expect(await databaseExists(w.cluster, w.target)).toBe(false);
  }, 120_000);
});
