import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresCluster, startPostgresCluster } from '../../../src/sandbox/postgres-cluster.js';
import { startForwardSync } from '../../../src/sync/sync-runner.js';
import { copyWithSlot, sql, tableDigest } from '../../helpers/sync-fixture.js';

// kill -9 of the syncing process at seeded random points while the source is being written. After each, a rerun must leave the
// target exactly equal to the source: nothing lost (digest) and nothing doubled (the keyless `ledger`
// table would show a replayed insert as an extra row).

const CHILD = join(import.meta.dirname, '../../fixtures/sync/sync-child.ts');
const SCHEMA = `
  CREATE TABLE public.kv (id int PRIMARY KEY, v int NOT NULL, note text);
  CREATE TABLE public.ledger (n bigint, v int);
`;

let source: PostgresCluster;
let target: PostgresCluster;
const limits = { maxChanges: 200, maxDelayMs: 50 };

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function spawnSync(options: Record<string, unknown>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: join(import.meta.dirname, '../../..'),
  });
}

function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`sync child exited early (${code})`)));
  });
}

/** A seeded mix of single- and multi-statement transactions on the source. */
async function workload(random: () => number, ops: number, ledgerStart: number): Promise<void> {
  const client = new pg.Client({ connectionString: source.url() });
  await client.connect();
  try {
    for (let i = 0; i < ops; i++) {
      const id = 1 + Math.floor(random() * 60);
      const r = random();
      await client.query('BEGIN');
      if (r < 0.4) {
        await client.query(
          'INSERT INTO public.kv VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET v = public.kv.v + 1',
          [id, i, `n${i}`],
        );
      } else if (r < 0.7) {
        await client.query('UPDATE public.kv SET v = v + $2, note = md5(note) WHERE id = $1', [id, i]);
      } else if (r < 0.85) {
        await client.query('DELETE FROM public.kv WHERE id = $1', [id]);
      } else {
        await client.query('UPDATE public.kv SET v = v * 2 WHERE id % 7 = $1', [id % 7]);
      }
      await client.query('INSERT INTO public.ledger VALUES ($1, $2)', [ledgerStart + i, id]);
      if (random() < 0.05) await client.query('ROLLBACK');
      else await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
}

async function expectParity(): Promise<void> {
  expect(await tableDigest(target.url(), 'public.kv')).toEqual(await tableDigest(source.url(), 'public.kv'));
  expect(await tableDigest(target.url(), 'public.ledger', 'n, v')).toEqual(
    await tableDigest(source.url(), 'public.ledger', 'n, v'),
  );
}

beforeAll(async () => {
  [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
  await sql(source.url(), SCHEMA);
  await sql(target.url(), SCHEMA);
  await sql(source.url(), 'ALTER TABLE public.ledger REPLICA IDENTITY FULL');
  await sql(source.url(), `INSERT INTO public.kv SELECT g, g, 'seed' FROM generate_series(1, 30) g`);
  await copyWithSlot(source.url(), target.url(), ['public.kv', 'public.ledger'], {
    slot: 'slot_f',
    publication: 'pub_f',
  });
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

const base = () => ({
  mode: 'logical' as const,
  sourceUrl: source.url(),
  targetUrl: target.url(),
  slot: 'slot_f',
  publication: 'pub_f',
  limits,
});

describe('sync under faults', () => {
  it('survives kill -9 at 10 seeded random points: rerun gives exact parity, nothing lost or doubled', async () => {
    const appliedChanges = async () =>
      Number(
        (
          await sql(
            target.url(),
            "SELECT coalesce(max(changes), 0) AS n FROM engify.sync_position WHERE stream = 'forward'",
          )
        ).rows[0]?.n ?? 0,
      );
    let killedWhileApplying = 0;
    for (let trial = 0; trial < 10; trial++) {
      const random = mulberry32(1000 + trial);
      await sql(target.url(), 'CREATE SCHEMA IF NOT EXISTS engify');
      const before = await appliedChanges().catch(() => 0);
      const child = spawnSync(base());
      const exit = exited(child);
      await started(child);
      const work = workload(random, 60, trial * 1000);
      await new Promise((r) => setTimeout(r, 300 + Math.floor(random() * 700)));
      if ((await appliedChanges().catch(() => 0)) > before) killedWhileApplying++;
      child.kill('SIGKILL');
      expect((await exit).signal).toBe('SIGKILL');
      await work;
      // The rerun runs in this process (faster than a second child); what matters is the restart.
      const rerun = startForwardSync(base() as Parameters<typeof startForwardSync>[0]);
      await rerun.drain({ timeoutMs: 30_000 });
      await rerun.stop();
      await expectParity();
    }
    // The kills must land while the child was applying, not only before it got going.
    expect(killedWhileApplying).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
