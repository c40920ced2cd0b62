import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startPostgresCluster } from '../../src/sandbox/postgres-cluster.js';
import { generateSql } from './generate.js';

// db copy benchmark: on the same generated data, in the same run, this tool's copy (pre-data schema via
// pg_dump, then db.copy with its post-load indexes/constraints and sequences), `pg_dump | psql` (plain)
// and `pgcopydb clone`. Then this tool alone at 5x the data, for peak RSS.
//   BENCH_SCALE=1 npx tsx bench/db/run.ts     full size (1.5M rows); default 0.1
//   BENCH_JOBS=4                               parallel jobs for this tool and pgcopydb (default 4)
//   BENCH_SKIP_5X=1                            skip the 5x RSS run
//   ENGIFY_DIST=/path/to/dist                  use an existing build instead of compiling one

const scale = Number(process.env.BENCH_SCALE ?? '0.1');
const jobs = Number(process.env.BENCH_JOBS ?? '4');
const here = import.meta.dirname;

const sh = (cmd: string) =>
  execSync(cmd, {
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: '/bin/bash',
    maxBuffer: 64 * 1024 * 1024,
  }).toString();
const psql = (url: string, sql: string) =>
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], {
    input: sql,
  }).toString();
const time = (f: () => void) => {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
};

async function main() {
  // The tool runs from a compiled build, as users run it (a TypeScript loader would inflate its RSS).
  const dist =
    process.env.ENGIFY_DIST ?? join(here, '..', '..', 'node_modules', '.cache', 'engify-bench-dist');
  if (!process.env.ENGIFY_DIST)
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', dist], { cwd: join(here, '..', '..') });
  const source = await startPostgresCluster();
  const target = await startPostgresCluster();
  const results: Record<string, unknown> = {};
  try {
    const base = source.url();
    psql(base, 'CREATE DATABASE bench');
    const src = source.url('bench');
    const genSeconds = time(() => psql(src, generateSql(scale)));
    const size = sh(`psql -X -At -d '${src}' -c "SELECT pg_database_size('bench')"`).trim();
    console.log(
      `generated scale ${scale} in ${genSeconds.toFixed(1)} s, database ${(Number(size) / 1024 ** 2).toFixed(0)} MiB`,
    );

    const runTool = (db: string, dataScale: number) => {
      psql(target.url(), `CREATE DATABASE ${db}`);
      const tgt = target.url(db);
      const dir = mkdtempSync(join(tmpdir(), 'engify-bench-'));
      const cfg = join(dir, 'migrations.config.json');
      const srcUrl = dataScale === scale ? src : source.url(`bench_${db}`);
      writeFileSync(
        cfg,
        JSON.stringify({
          project: `bench-${db.replaceAll('_', '-')}`,
          source: { supabase: { dbUrl: srcUrl, schemas: ['public'] } },
          target: { aws: { region: 'eu-west-1' }, rds: { mode: 'pg', url: tgt } },
          jobs,
        }),
      );
      let child = { ms: 0, peakRssMb: 0 };
      const seconds = time(() => {
        sh(
          `pg_dump --schema-only --section=pre-data -d '${srcUrl}' | psql -X -q -v ON_ERROR_STOP=1 -d '${tgt}'`,
        );
        const r = spawnSync(process.execPath, [join(here, 'tool-child.mjs'), cfg], {
          encoding: 'utf8',
          env: { ...process.env, ENGIFY_DIST: dist },
        });
        if (r.status !== 0) throw new Error(`tool failed: ${r.stderr}`);
        if (process.env.BENCH_VERBOSE) process.stderr.write(r.stderr);
        child = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
      });
      // The slot would hold WAL on the source for the rest of the run.
      sh(
        `psql -X -At -d '${srcUrl}' -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"`,
      );
      rmSync(dir, { recursive: true, force: true });
      return { seconds, copySeconds: child.ms / 1000, peakRssMb: child.peakRssMb };
    };

    const tool = runTool('tool', scale);
    console.log(`engify-migrate: ${tool.seconds.toFixed(1)} s, peak RSS ${tool.peakRssMb.toFixed(0)} MB`);

    psql(target.url(), 'CREATE DATABASE dump');
    const dumpSeconds = time(() =>
      sh(`pg_dump -d '${src}' | psql -X -q -v ON_ERROR_STOP=1 -d '${target.url('dump')}' > /dev/null`),
    );
    console.log(`pg_dump | psql: ${dumpSeconds.toFixed(1)} s`);

    psql(target.url(), 'CREATE DATABASE pgcopydb');
    const work = mkdtempSync(join(tmpdir(), 'pgcopydb-'));
    let pgcopydbSeconds: number | null = null;
    try {
      pgcopydbSeconds = time(() =>
        sh(
          `pgcopydb clone --source '${src}' --target '${target.url('pgcopydb')}' --dir '${work}' --table-jobs ${jobs} --index-jobs ${jobs} --no-owner 2>&1`,
        ),
      );
      console.log(`pgcopydb clone: ${pgcopydbSeconds.toFixed(1)} s`);
    } catch (error) {
      console.log(
        `pgcopydb clone failed: ${(error as { stdout?: Buffer }).stdout?.toString().slice(-2000) ?? error}`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }

    // Same row counts everywhere (a fast sanity check; the tool's own verify is exercised by the tests).
    const counts = (url: string) =>
      sh(
        `psql -X -At -d '${url}' -c "SELECT (SELECT count(*) FROM documents) || '/' || (SELECT count(*) FROM chunks)"`,
      ).trim();
    const expected = counts(src);
    for (const db of ['tool', 'dump', ...(pgcopydbSeconds === null ? [] : ['pgcopydb'])]) {
      const got = counts(target.url(db));
      if (got !== expected) throw new Error(`${db}: ${got} rows, expected ${expected}`);
    }

    let rss5: { seconds: number; peakRssMb: number } | null = null;
    if (!process.env.BENCH_SKIP_5X) {
      psql(base, 'CREATE DATABASE bench_tool5');
      psql(source.url('bench_tool5'), generateSql(scale * 5));
      rss5 = runTool('tool5', scale * 5);
      console.log(
        `engify-migrate at 5x: ${rss5.seconds.toFixed(1)} s, peak RSS ${rss5.peakRssMb.toFixed(0)} MB`,
      );
    }

    Object.assign(results, {
      machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
      // Other work shares the cores: the 1/5/15-minute load averages at the end of the run.
      loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      scale,
      rows: { documents: Math.round(1_000_000 * scale), chunks: Math.round(500_000 * scale) },
      sourceBytes: Number(size),
      jobs,
      seconds: {
        engify: tool.seconds,
        engifyCopyOnly: tool.copySeconds,
        pgDumpPsql: dumpSeconds,
        pgcopydbClone: pgcopydbSeconds,
      },
      ratios: {
        vsPgDumpPsql: tool.seconds / dumpSeconds,
        vsPgcopydb: pgcopydbSeconds === null ? null : tool.seconds / pgcopydbSeconds,
      },
      peakRssMb: { at1x: tool.peakRssMb, at5x: rss5?.peakRssMb ?? null },
      at: new Date().toISOString(),
    });
    mkdirSync(join(here, '..', 'results'), { recursive: true });
    const file = join(here, '..', 'results', scale === 1 ? 'db.json' : `db-scale-${scale}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await Promise.all([source.stop(), target.stop()]);
  }
}

await main();
