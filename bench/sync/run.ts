// Sync benchmark: sustained source load (1,000 row changes/s; BENCH_SYNC_SECONDS, default 20, 60 for
// the full run) on a real PostgreSQL 15 cluster with forward sync running live to a second cluster.
// Reports the live lag (source commit -> committed on the target) p50/p99, then the apply rate's ratio
// to the raw pgoutput decode rate over the same changes: both read the whole backlog from their own
// slot after the load, one decoding only, one decoding and applying to a fresh target database.
//
//   npx tsx bench/sync/run.ts            (BENCH_SYNC_SECONDS=60 for the full size)

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { startForwardSync } from '../../src/components/db/sync/sync-runner.js';
import { startPostgresCluster } from '../../src/sandbox/postgres-cluster.js';

const SECONDS = Number(process.env.BENCH_SYNC_SECONDS ?? 20);
const RATE = Number(process.env.BENCH_SYNC_RATE ?? 1000);
const TICK_MS = 10;
const PER_TICK = Math.round((RATE * TICK_MS) / 1000); // 10 changes per 10 ms transaction
const SCHEMA = 'CREATE TABLE public.bench (id bigint PRIMARY KEY, v int NOT NULL, payload text NOT NULL)';

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

/** Decodes `slot` from its start until `expected` row changes were seen; returns changes/s. */
async function decodeOnly(
  url: string,
  slot: string,
  publication: string,
  expected: number,
): Promise<{ rate: number; changes: number; ms: number }> {
  const service = new LogicalReplicationService(
    { connectionString: url },
    { acknowledge: { auto: false, timeoutSeconds: 0 } },
  );
  let changes = 0;
  let first = 0;
  let last = 0;
  const done = new Promise<void>((resolve) => {
    service.on('data', (_lsn: string, msg: { tag: string }) => {
      if (msg.tag === 'insert' || msg.tag === 'update' || msg.tag === 'delete') {
        if (changes === 0) first = performance.now();
        changes++;
        last = performance.now();
        if (changes >= expected) resolve();
      }
    });
  });
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] });
  const started = performance.now();
  void service.subscribe(plugin, slot).catch(() => undefined);
  await done;
  await service.destroy();
  const ms = last - (first || started);
  return { rate: (changes / Math.max(ms, 1)) * 1000, changes, ms };
}

async function main(): Promise<void> {
  const [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
  try {
    const src = source.url();
    await query(src, SCHEMA);
    await query(target.url(), SCHEMA);
    await query(target.url(), 'CREATE DATABASE catchup');
    await query(target.url('catchup'), SCHEMA);
    await query(src, 'CREATE PUBLICATION bench_pub FOR TABLE public.bench');
    for (const slot of ['live', 'decode_only', 'apply_catchup']) {
      await query(src, `SELECT pg_create_logical_replication_slot('${slot}', 'pgoutput')`);
    }

    // Live sync, measured per source transaction.
    const lags: number[] = [];
    const live = startForwardSync({
      mode: 'logical',
      sourceUrl: src,
      targetUrl: target.url(),
      slot: 'live',
      publication: 'bench_pub',
      limits: { maxChanges: 1000, maxDelayMs: 200 },
      onApplied: (commitTimes) => {
        const now = Date.now();
        for (const t of commitTimes) lags.push(now - t.getTime());
      },
    });

    // Load: one transaction of PER_TICK row changes every TICK_MS (inserts, updates, deletes).
    const writer = new pg.Client({ connectionString: src });
    await writer.connect();
    let nextId = 1;
    let oldestLive = 1;
    let total = 0;
    const ticks = Math.round((SECONDS * 1000) / TICK_MS);
    const loadStart = performance.now();
    let lateTicks = 0;
    for (let k = 0; k < ticks; k++) {
      const due = loadStart + k * TICK_MS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -TICK_MS) lateTicks++;
      const inserts = Math.ceil(PER_TICK / 2);
      const live = nextId - oldestLive;
      const deletes = live > 200 ? Math.floor(PER_TICK * 0.15) : 0;
      const updates = PER_TICK - inserts - deletes;
      const values = Array.from(
        { length: inserts },
        (_, i) => `(${nextId + i}, ${k}, md5('${nextId + i}'))`,
      ).join(',');
      const updIds = Array.from(
        { length: updates },
        (_, i) => oldestLive + deletes + ((k * 7 + i * 13) % Math.max(1, live - deletes)),
      );
      const sql = [
        'BEGIN',
        `INSERT INTO public.bench VALUES ${values}`,
        updates > 0 && live > 0
          ? `UPDATE public.bench SET v = v + 1 WHERE id IN (${[...new Set(updIds)].join(',')})`
          : '',
        deletes > 0
          ? `DELETE FROM public.bench WHERE id >= ${oldestLive} AND id < ${oldestLive + deletes}`
          : '',
        'COMMIT',
      ]
        .filter(Boolean)
        .join(';');
      const results = (await writer.query(sql)) as unknown as pg.QueryResult[];
      for (const r of results) if (r.command !== 'BEGIN' && r.command !== 'COMMIT') total += r.rowCount ?? 0;
      nextId += inserts;
      oldestLive += deletes;
    }
    const loadMs = performance.now() - loadStart;
    await writer.end();
    await live.drain({ timeoutMs: 60_000 });
    const liveStats = live.stats();
    await live.stop();
    const parity = await Promise.all([
      query(src, 'SELECT count(*)::int AS n, sum(v)::bigint AS s FROM public.bench'),
      query(target.url(), 'SELECT count(*)::int AS n, sum(v)::bigint AS s FROM public.bench'),
    ]);

    // Capacity: the same backlog, decode only vs decode + apply.
    const decode = await decodeOnly(src, 'decode_only', 'bench_pub', total);
    let applyFirst = 0;
    let firstBatch = 0;
    let applied = 0;
    let applyLast = 0;
    const catchup = startForwardSync({
      mode: 'logical',
      sourceUrl: src,
      targetUrl: target.url('catchup'),
      slot: 'apply_catchup',
      publication: 'bench_pub',
      stream: 'catchup',
      // A short deadline: the last batch waits for it, which would otherwise count as apply time.
      limits: { maxChanges: 5000, maxDelayMs: 50 },
      onApplied: (_times, changes) => {
        if (applied === 0) {
          applyFirst = performance.now();
          firstBatch = changes;
        }
        applied += changes;
        applyLast = performance.now();
      },
    });
    const catchupStart = performance.now();
    await catchup.drain({ timeoutMs: 300_000 });
    await catchup.stop();
    // Including connecting, the start checks and START_REPLICATION.
    const applyMs = applyLast - catchupStart;
    const applyRate = (applied / Math.max(applyMs, 1)) * 1000;
    // Steady state: between the first and last target commits (connect and preflight excluded).
    const steadyRate = ((applied - firstBatch) / Math.max(applyLast - applyFirst, 1)) * 1000;
    const catchupParity = await query(
      target.url('catchup'),
      'SELECT count(*)::int AS n, sum(v)::bigint AS s FROM public.bench',
    );

    lags.sort((a, b) => a - b);
    let vmHwmKb: number | undefined;
    try {
      vmHwmKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    } catch {}
    const result = {
      benchmark: 'sync',
      when: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        memGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        postgres: 15,
      },
      load: {
        seconds: SECONDS,
        targetRatePerSecond: RATE,
        rowChanges: total,
        achievedRatePerSecond: Math.round((total / loadMs) * 1000),
        transactions: ticks,
        lateTicks,
      },
      liveLagMs: {
        samples: lags.length,
        p50: percentile(lags, 50),
        p90: percentile(lags, 90),
        p99: percentile(lags, 99),
        max: lags[lags.length - 1],
        goalP99: 1000,
        goalMet: percentile(lags, 99) <= 1000,
      },
      live: { targetCommits: liveStats.targetCommits, transactionsApplied: liveStats.transactionsApplied },
      parity: {
        source: parity[0].rows[0],
        target: parity[1].rows[0],
        catchup: catchupParity.rows[0],
        ok:
          JSON.stringify(parity[0].rows[0]) === JSON.stringify(parity[1].rows[0]) &&
          JSON.stringify(parity[0].rows[0]) === JSON.stringify(catchupParity.rows[0]),
      },
      capacity: {
        rawDecodeChangesPerSecond: Math.round(decode.rate),
        applyChangesPerSecond: Math.round(applyRate),
        applyToDecodeRatio: Number((applyRate / decode.rate).toFixed(3)),
        applySteadyChangesPerSecond: Math.round(steadyRate),
        applySteadyToDecodeRatio: Number((steadyRate / decode.rate).toFixed(3)),
        decodedChanges: decode.changes,
        appliedChanges: applied,
        applyFirstCommitAfterMs: Math.round(applyFirst - catchupStart),
      },
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      vmHwmMiB: vmHwmKb ? Math.round(vmHwmKb / 1024) : undefined,
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), '../results/sync.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    clearInterval(rssTimer);
    await Promise.all([source.stop(), target.stop()]);
  }
}

await main();
