import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startLocalStack } from '../../src/sandbox/stack.js';
import { generateSql } from '../db/generate.js';

// Backup benchmark: on the same generated data (bench/db's generator), in the same run, this tool's
// `engify-migrate backup` (COPY text through the driver, gzip level 1, streamed to S3 = s3rver here)
// against `pg_dump -Fc` to a local file (its default zlib compression, no network). MiB/s is the
// database size (pg_database_size) over wall time. Then the tool again at 5x the data: its peak RSS
// (/usr/bin/time -v, "Maximum resident set size") should not grow with the data.
//   BENCH_SCALE=0.2 npx tsx bench/backup/run.ts     (1 = 1.5M rows, ~500 MiB); default 0.1
//   BENCH_SKIP_5X=1                                  skip the 5x RSS run
// Run `npm run build` first: the tool runs from dist/, as users run it.

const scale = Number(process.env.BENCH_SCALE ?? '0.1');
const root = join(import.meta.dirname, '..', '..');
const psql = (url: string, sql: string) =>
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', '-'], {
    input: sql,
  }).toString();

/**
 * Runs a command under /usr/bin/time -v: wall seconds and peak RSS in MB. Asynchronously: the local
 * stack's servers (s3rver) run in this process and must keep answering meanwhile.
 */
function timed(cmd: string, args: string[]): Promise<{ seconds: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn('/usr/bin/time', ['-v', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000;
      if (code !== 0)
        return reject(new Error(`${cmd} failed (${code}): ${err.slice(-2000)}${out.slice(-2000)}`));
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1] ?? 0);
      resolve({ seconds, rssMb: Math.round(kb / 1024) });
    });
  });
}

async function run(stack: Awaited<ReturnType<typeof startLocalStack>>, s: number, withAnchor: boolean) {
  const db = `bench_${String(s).replace('.', '_')}`;
  psql(stack.postgres.url(), `CREATE DATABASE ${db}`);
  const url = stack.postgres.url(db);
  psql(url, generateSql(s));
  psql(url, 'CHECKPOINT');
  const bytes = Number(
    execFileSync('psql', ['-X', '-At', '-d', url, '-c', `SELECT pg_database_size('${db}')`]).toString(),
  );
  const mib = bytes / 1024 / 1024;
  const dir = mkdtempSync(join(tmpdir(), 'engify-bench-backup-'));
  const bucket = `bench-${db.replace(/_/g, '-')}`;
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: stack.endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  const config = join(dir, 'migrations.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      project: 'bench-backup',
      source: { postgres: { url, schemas: ['public'] } },
      target: {
        aws: {
          region: 'us-east-1',
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
          endpoints: { s3: stack.endpoints.s3 },
        },
        s3: { bucket },
      },
      backup: {},
    }),
  );
  const tool = await timed(process.execPath, [
    join(root, 'bin', 'engify-migrate'),
    '--config',
    config,
    'backup',
  ]);
  const out: Record<string, unknown> = {
    scale: s,
    databaseMiB: Math.round(mib),
    tool: { ...tool, mibPerSecond: Math.round((mib / tool.seconds) * 10) / 10 },
  };
  if (withAnchor) {
    const file = join(dir, 'dump.pgfc');
    const anchor = await timed('pg_dump', ['-Fc', '-f', file, '-d', url]);
    out.pgDumpFc = {
      ...anchor,
      mibPerSecond: Math.round((mib / anchor.seconds) * 10) / 10,
      fileMiB: Math.round(statSync(file).size / 1024 / 1024),
    };
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out));
  return out;
}

async function main() {
  const stack = await startLocalStack();
  try {
    const rounds = [await run(stack, scale, true)];
    if (!process.env.BENCH_SKIP_5X) rounds.push(await run(stack, scale * 5, false));
    const results = {
      bench: 'backup',
      at: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        memGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        loadavg: loadavg(),
      },
      note: 'tool: engify-migrate backup (COPY text, gzip 1, streamed to s3rver on loopback); anchor: pg_dump -Fc to a local file',
      rounds,
    };
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results', 'backup.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await stack.stop();
  }
}

await main();
