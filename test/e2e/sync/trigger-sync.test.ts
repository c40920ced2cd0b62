import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardSync } from '../../../src/components/db/sync/sync-runner.js';
import { installTriggerCapture } from '../../../src/components/db/sync/trigger-capture.js';
import { freePort } from '../../../src/sandbox/free-port.js';
import { type PostgresCluster, startPostgresCluster } from '../../../src/sandbox/postgres-cluster.js';
import { mulberry32 } from '../../helpers/seeded-random.js';
import { childEvents, started } from '../../helpers/sync-child-harness.js';
import { sql, tableDigest, waitFor } from '../../helpers/sync-fixture.js';

// Trigger capture, the fallback where logical decoding is unavailable: against a real PostgreSQL 15
// source (including a long transaction that takes a changelog id early and commits late, and kill -9
// of the syncing process), and against PGlite through pglite-socket.

const SCHEMA = `
  CREATE TABLE public.kv (id int PRIMARY KEY, v int NOT NULL, doc jsonb, tags text[], at timestamptz);
  CREATE TABLE public.ledger (n bigint, v int);
`;
const TABLES = [
  { schema: 'public', name: 'kv' },
  { schema: 'public', name: 'ledger' },
];
const limits = { maxChanges: 200, maxDelayMs: 50 };
const CHILD = join(import.meta.dirname, '../../fixtures/sync/sync-child.ts');

/** Triggers first, then the copy under one snapshot: what db.copy does in trigger mode. */
async function installAndCopy(sourceUrl: string, targetUrl: string): Promise<string> {
  const src = new pg.Client({ connectionString: sourceUrl });
  const dst = new pg.Client({ connectionString: targetUrl });
  await src.connect();
  await dst.connect();
  try {
    await installTriggerCapture(src, TABLES);
    await src.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const snap = await src.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s');
    for (const t of ['public.kv', 'public.ledger']) {
      const rows = await src.query(`SELECT to_jsonb(t) AS r FROM ${t} t`);
      if (rows.rows.length > 0) {
        await dst.query(`INSERT INTO ${t} SELECT * FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb)`, [
          JSON.stringify(rows.rows.map((r: { r: unknown }) => r.r)),
        ]);
      }
    }
    await src.query('COMMIT');
    return snap.rows[0]!.s;
  } finally {
    await src.end();
    await dst.end();
  }
}

async function expectParity(sourceUrl: string, targetUrl: string): Promise<void> {
  const a = (await sql(sourceUrl, 'SELECT id, v FROM public.kv ORDER BY id')).rows as {
    id: number;
    v: number;
  }[];
  const b = (await sql(targetUrl, 'SELECT id, v FROM public.kv ORDER BY id')).rows as {
    id: number;
    v: number;
  }[];
  const onlyTarget = b.filter((r) => !a.some((x) => x.id === r.id));
  const onlySource = a.filter((r) => !b.some((x) => x.id === r.id));
  if (onlyTarget.length + onlySource.length > 0) {
    const log = await sql(
      sourceUrl,
      "SELECT id, xid::text, op, old_row->>'id' AS o, new_row->>'id' AS n FROM engify.changelog ORDER BY id",
    );
    console.log(
      JSON.stringify({
        onlyTarget,
        onlySource,
        log: log.rows.filter((r: { o: string; n: string }) =>
          [...onlyTarget, ...onlySource].some((x) => String(x.id) === r.o || String(x.id) === r.n),
        ),
      }),
    );
  }
  expect(await tableDigest(targetUrl, 'public.kv')).toEqual(await tableDigest(sourceUrl, 'public.kv'));
  expect(await tableDigest(targetUrl, 'public.ledger', 'n, v')).toEqual(
    await tableDigest(sourceUrl, 'public.ledger', 'n, v'),
  );
}

async function writes(url: string, from: number, count: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (let i = from; i < from + count; i++) {
      const id = 1 + (i % 40);
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO public.kv VALUES ($1, $2, $3, $4, now()) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, doc = EXCLUDED.doc`,
        [id, i, JSON.stringify({ i, s: "it's" }), [`t${i}`, 'x y']],
      );
      if (i % 5 === 0) await c.query('DELETE FROM public.kv WHERE id = $1', [1 + ((i * 7) % 40)]);
      await c.query('INSERT INTO public.ledger VALUES ($1, $2)', [i, id]);
      await c.query('COMMIT');
    }
  } finally {
    await c.end();
  }
}

describe('trigger capture on PostgreSQL 15', () => {
  let source: PostgresCluster;
  let target: PostgresCluster;
  let start: string;

  beforeAll(async () => {
    [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
    await sql(source.url(), SCHEMA);
    await sql(target.url(), SCHEMA);
    await sql(
      source.url(),
      `INSERT INTO public.kv SELECT g, g, '{"seed":true}', '{a}', now() FROM generate_series(1, 20) g`,
    );
    start = await installAndCopy(source.url(), target.url());
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('applies in commit order even when a long transaction took an earlier changelog id', async () => {
    const handle = startForwardSync({
      mode: 'trigger',
      sourceUrl: source.url(),
      targetUrl: target.url(),
      startPosition: start,
      limits,
      pollMs: 50,
    });
    const long = new pg.Client({ connectionString: source.url() });
    await long.connect();
    try {
      await long.query('BEGIN');
      await long.query(`INSERT INTO public.kv VALUES (500, 1, NULL, NULL, now())`);
      await long.query(`INSERT INTO public.ledger VALUES (-1, 500)`);
      await writes(source.url(), 0, 50);
      await waitFor(
        async () =>
          (await sql(target.url(), 'SELECT count(*)::int AS n FROM public.ledger')).rows[0].n === 50,
        15_000,
        'later transactions applied',
      );
      await long.query('COMMIT');
      await sql(source.url(), 'TRUNCATE public.ledger');
      await writes(source.url(), 50, 20);
      await handle.drain({ timeoutMs: 20_000 });
      await expectParity(source.url(), target.url());
      const late = await sql(target.url(), 'SELECT v FROM public.kv WHERE id = 500');
      expect(late.rows).toEqual([{ v: 1 }]);
      expect((await handle.lag()).unit).toBe('rows');
      expect((await handle.lag()).changes).toBe(0);
    } finally {
      await long.end();
      await handle.stop();
    }
  });

  it('is exactly-once across kill -9 of the syncing process (4 seeded trials)', async () => {
    const base = {
      mode: 'trigger',
      sourceUrl: source.url(),
      targetUrl: target.url(),
      startPosition: start,
      // Small batches, so the child reports several commits (3 to 5 here) to choose the kill point from.
      limits: { ...limits, maxChanges: 10 },
      pollMs: 50,
    };
    const spawnChild = (options: Record<string, unknown>): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const ledgerRows = async (url: string) =>
      Number((await sql(url, 'SELECT count(*)::int AS n FROM public.ledger')).rows[0]?.n ?? 0);
    let killedBehind = 0;
    for (let trial = 0; trial < 4; trial++) {
      // Where the kill lands: right after the k-th commit the child reports, k seeded.
      const k = 1 + Math.floor(mulberry32(300 + trial)() * 3);
      const child = spawnChild(base);
      const exit = new Promise((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
      const events = childEvents(child);
      await started(child);
      // Long enough that the child commits several times while the writes go on, however loaded the machine.
      const work = writes(source.url(), 1000 + trial * 1000, 400);
      // Fewer than k commits: kill once the child has caught up (a point it reached, too).
      const caughtUp = work.then(() =>
        waitFor(
          async () => (await ledgerRows(target.url())) === (await ledgerRows(source.url())),
          20_000,
          'the child to catch up',
        ),
      );
      await Promise.race([events.nth(k), caughtUp]);
      child.kill('SIGKILL');
      expect(await exit).toBe('SIGKILL');
      await work;
      if ((await ledgerRows(target.url())) < (await ledgerRows(source.url()))) killedBehind++;
      const rerun = spawnChild({ ...base, drainAndExit: true });
      let stderr = '';
      rerun.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise((resolve) => rerun.on('exit', (c) => resolve(c)));
      expect(code, stderr).toBe(0);
      await expectParity(source.url(), target.url());
    }
    // The kills must land while the child still had changes to apply.
    expect(killedBehind).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('stops with the schema-change message when a captured row has a column the target lacks', async () => {
    await sql(source.url(), 'ALTER TABLE public.kv ADD COLUMN extra int');
    await sql(source.url(), 'UPDATE public.kv SET extra = 1 WHERE id = 2');
    const handle = startForwardSync({
      mode: 'trigger',
      sourceUrl: source.url(),
      targetUrl: target.url(),
      startPosition: start,
      limits,
      pollMs: 50,
    });
    const error = await handle.done;
    expect(error).toMatchObject({ code: 'SYNC_SCHEMA_CHANGED' });
    expect(error?.message).toContain('column extra only on the source');
  });
});

describe('trigger capture on PGlite (through pglite-socket)', () => {
  let db: PGlite;
  let server: PGLiteSocketServer;
  let target: PostgresCluster;
  let sourceUrl: string;

  beforeAll(async () => {
    db = await PGlite.create();
    const port = await freePort();
    server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 20 });
    await server.start();
    sourceUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    target = await startPostgresCluster();
    await db.exec(SCHEMA);
    await sql(target.url(), SCHEMA);
    await db.exec(
      `INSERT INTO public.kv SELECT g, g, '{"seed":true}', '{a}', now() FROM generate_series(1, 10) g`,
    );
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
    await target?.stop();
  });

  it('streams changes from PGlite to PostgreSQL exactly', async () => {
    const start = await installAndCopy(sourceUrl, target.url());
    const handle = startForwardSync({
      mode: 'trigger',
      sourceUrl,
      targetUrl: target.url(),
      startPosition: start,
      limits,
      pollMs: 50,
    });
    try {
      await writes(sourceUrl, 0, 40);
      await db.exec('UPDATE public.kv SET tags = NULL WHERE id < 5');
      await handle.drain({ timeoutMs: 20_000 });
      await expectParity(sourceUrl, target.url());
    } finally {
      await handle.stop();
    }
  });
});
