import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startPostgresCluster } from '../../src/sandbox/postgres-cluster.js';
import { generateSqlite } from './generate.js';

// SQLite source benchmark: on the same generated file, in the same run, this tool (apply --phase 1 then
// --phase 2: translated schema, text COPY in rowid ranges, indexes, keys and identities after the load)
// against pgloader (`pgloader sqlite:///file postgresql:///db`: its own schema, data and indexes).
// Both load into fresh databases of one PostgreSQL cluster; row counts are compared afterwards.
//   BENCH_USERS=20000 BENCH_POSTS=10 npx tsx bench/sqlite/run.ts     (defaults: 10,000 users x 10 posts)
//   BENCH_JOBS=2                                                      the tool's parallel jobs
//   BENCH_ROUNDS=1                                                    rounds, order alternated; medians reported
//   ENGIFY_DIST=/path/to/dist                                         use an existing build

const users = Number(process.env.BENCH_USERS ?? '10000');
const posts = Number(process.env.BENCH_POSTS ?? '10');
const jobs = Number(process.env.BENCH_JOBS ?? '2');
const roundCount = Number(process.env.BENCH_ROUNDS ?? '1');
const here = import.meta.dirname;
const TABLES = ['users', 'posts', 'tags', 'post_tags'];

const psql = (url: string, sql: string) =>
  execFileSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql]).toString().trim();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  const pgloader = spawnSync('pgloader', ['--version']);
  if (pgloader.status !== 0)
    throw new Error('pgloader is not installed (Debian: apt-get install -y pgloader)');
  const pgloaderVersion = pgloader.stdout.toString().split('\n')[0]?.trim();
  const dist = process.env.ENGIFY_DIST ?? join(here, '..', '..', '.bench-sqlite-dist');
  if (!process.env.ENGIFY_DIST)
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', dist], { cwd: join(here, '..', '..') });
  const work = mkdtempSync(join(tmpdir(), 'engify-bench-sqlite-'));
  const file = join(work, 'app.db');
  const t0 = performance.now();
  const { rows } = generateSqlite(file, { users, postsPerUser: posts });
  console.log(
    `generated ${rows} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s, file ${(statSync(file).size / 1024 ** 2).toFixed(1)} MiB`,
  );
  const cluster = await startPostgresCluster();
  const counts = (db: string) =>
    Object.fromEntries(
      TABLES.map((t) => [t, Number(psql(cluster.url(db), `SELECT count(*) FROM public.${t}`))]),
    );
  const rounds: { engify: number; pgloader: number }[] = [];
  try {
    const runTool = (db: string) => {
      const dir = mkdtempSync(join(work, 'tool-'));
      const cfg = join(dir, 'migrations.config.json');
      writeFileSync(
        cfg,
        JSON.stringify({
          project: `bench-${db.replaceAll('_', '-')}`,
          source: { sqlite: { path: file } },
          target: {
            aws: { region: 'eu-west-1' },
            rds: { mode: 'pg', url: cluster.url(db), createDatabase: true },
          },
          jobs,
        }),
      );
      const bin = join(dist, 'cli.js');
      const t = performance.now();
      for (const phase of ['1', '2']) {
        const r = spawnSync(process.execPath, [bin, '--config', cfg, 'apply', '--phase', phase, '--yes'], {
          cwd: dir,
          env: { ...process.env, NO_COLOR: '1' },
        });
        if (r.status !== 0)
          throw new Error(`engify-migrate apply --phase ${phase} failed: ${r.stdout}${r.stderr}`);
      }
      return (performance.now() - t) / 1000;
    };
    // With its default casts pgloader loads no row of posts (it reads the integer Unix times of a
    // TIMESTAMP column as years: "timestamp out of range") and still exits 0; the timed runs give it the
    // CAST rule it needs, and the default's outcome is recorded once.
    const runPgloader = (db: string, cast = true) => {
      psql(cluster.url(), `CREATE DATABASE ${db}`);
      const load = join(work, `${db}.load`);
      writeFileSync(
        load,
        `LOAD DATABASE FROM sqlite://${file} INTO ${cluster.url(db)}
           WITH include drop, create tables, create indexes, reset sequences
           ${cast ? 'CAST column posts.published_at to timestamptz using unix-timestamp-to-timestamptz' : ''};\n`,
      );
      const t = performance.now();
      const r = spawnSync('pgloader', ['--quiet', load], { cwd: work });
      if (r.status !== 0) throw new Error(`pgloader failed: ${r.stdout}${r.stderr}`);
      return (performance.now() - t) / 1000;
    };
    runPgloader('pgl_default', false);
    const pgloaderDefault = { exitCode: 0, rows: counts('pgl_default') };
    console.log(`pgloader with its default casts: ${JSON.stringify(pgloaderDefault.rows)}`);
    for (let i = 0; i < roundCount; i++) {
      const round = { engify: 0, pgloader: 0 };
      const order = i % 2 === 0 ? (['engify', 'pgloader'] as const) : (['pgloader', 'engify'] as const);
      for (const who of order) {
        if (who === 'engify') round.engify = runTool(`tool_${i}`);
        else round.pgloader = runPgloader(`pgl_${i}`);
      }
      const a = counts(`tool_${i}`);
      const b = counts(`pgl_${i}`);
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new Error(`row counts differ: engify ${JSON.stringify(a)}, pgloader ${JSON.stringify(b)}`);
      console.log(
        `round ${i + 1}: engify-migrate ${round.engify.toFixed(2)} s, pgloader ${round.pgloader.toFixed(2)} s (rows ${JSON.stringify(a)})`,
      );
      rounds.push({ engify: Number(round.engify.toFixed(2)), pgloader: Number(round.pgloader.toFixed(2)) });
    }
    const engify = median(rounds.map((r) => r.engify));
    const other = median(rounds.map((r) => r.pgloader));
    const result = {
      machine: {
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
        node: process.version,
        cpu: cpus()[0]?.model,
      },
      loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
      postgres: cluster.major,
      pgloader: pgloaderVersion,
      sqliteBytes: statSync(file).size,
      rows,
      users,
      postsPerUser: posts,
      jobs,
      pgloaderDefaultCasts: pgloaderDefault,
      pgloaderCast: 'CAST column posts.published_at to timestamptz using unix-timestamp-to-timestamptz',
      rounds,
      medianSeconds: { engify, pgloader: other },
      ratio: Number((other / engify).toFixed(2)),
      note: 'ratio = pgloader seconds / engify-migrate seconds (above 1: engify-migrate is faster). Both: schema, data and indexes into a fresh database; engify also runs its plan-time checks (quick_check, type detection over every value).',
    };
    mkdirSync(join(here, '..', 'results'), { recursive: true });
    writeFileSync(join(here, '..', 'results', 'sqlite.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `median: engify-migrate ${engify.toFixed(2)} s, pgloader ${other.toFixed(2)} s, ratio ${result.ratio}`,
    );
  } finally {
    await cluster.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
