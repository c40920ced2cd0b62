import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { type PostgresCluster, startPostgresCluster } from '../../src/sandbox/postgres-cluster.js';
import { copyWithSlot, sql, tableDigest } from './sync-fixture.js';

// Shared by the sync fault tests (kill -9, SIGTERM, cut connections): two real PostgreSQL 15 clusters
// with a keyed table and a keyless ledger (a replayed insert would show there as an extra row), a sync
// running in a child process, and a seeded write load on the source.

const CHILD = join(import.meta.dirname, '../fixtures/sync/sync-child.ts');
const SCHEMA = `
  CREATE TABLE public.kv (id int PRIMARY KEY, v int NOT NULL, note text);
  CREATE TABLE public.ledger (n bigint, v int);
`;

export const pair = {} as { source: PostgresCluster; target: PostgresCluster };
export const limits = { maxChanges: 200, maxDelayMs: 50 };

/** Starts the two clusters, loads the schema and copies the seed under a slot (slot_f, pub_f). */
export function useSyncPair(): void {
  beforeAll(async () => {
    [pair.source, pair.target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
    await sql(pair.source.url(), SCHEMA);
    await sql(pair.target.url(), SCHEMA);
    await sql(pair.source.url(), 'ALTER TABLE public.ledger REPLICA IDENTITY FULL');
    await sql(pair.source.url(), `INSERT INTO public.kv SELECT g, g, 'seed' FROM generate_series(1, 30) g`);
    await copyWithSlot(pair.source.url(), pair.target.url(), ['public.kv', 'public.ledger'], {
      slot: 'slot_f',
      publication: 'pub_f',
    });
  });
  afterAll(async () => {
    await Promise.all([pair.source?.stop(), pair.target?.stop()]);
  });
}

export const base = () => ({
  mode: 'logical' as const,
  sourceUrl: pair.source.url(),
  targetUrl: pair.target.url(),
  slot: 'slot_f',
  publication: 'pub_f',
  limits,
});

export function spawnSync(options: Record<string, unknown>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: join(import.meta.dirname, '../..'),
  });
}

export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

export function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`sync child exited early (${code})`)));
  });
}

/**
 * The progress lines a sync child reports on stdout (see fixtures/sync/sync-child.ts), counted as they
 * come: `nth(k)` resolves on the k-th line that starts with `event` (1-based), so a test can kill the
 * child at a point it reported rather than after a guessed delay.
 */
export function childEvents(child: ChildProcess, event = 'applied') {
  let seen = 0;
  let rest = '';
  const waiters: { k: number; resolve: () => void }[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    rest += d.toString();
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith(event)) continue;
      seen++;
      for (const w of waiters.filter((x) => x.k <= seen)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    get count() {
      return seen;
    },
    nth: (k: number) =>
      new Promise<void>((resolve) => {
        if (seen >= k) resolve();
        else waiters.push({ k, resolve });
      }),
  };
}

/** A seeded mix of single- and multi-statement transactions on the source. */
export async function workload(random: () => number, ops: number, ledgerStart: number): Promise<void> {
  const client = new pg.Client({ connectionString: pair.source.url() });
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

export async function expectParity(): Promise<void> {
  expect(await tableDigest(pair.target.url(), 'public.kv')).toEqual(
    await tableDigest(pair.source.url(), 'public.kv'),
  );
  expect(await tableDigest(pair.target.url(), 'public.ledger', 'n, v')).toEqual(
    await tableDigest(pair.source.url(), 'public.ledger', 'n, v'),
  );
}
