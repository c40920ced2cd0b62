// Benchmark of files.copy: N objects (default 200, about 200 MB; FILES_BENCH_OBJECTS / FILES_BENCH_MB for
// the full 1,000 / 1,024) in one s3rver bucket, read through the S3-compatible source mode into another
// bucket, against `aws s3 sync` between the same two buckets in the same run. Peak RSS of the copy is
// sampled every 25 ms. Writes bench/results/files.json. Keys are plain: aws-cli encodes `+` in
// x-amz-copy-source as %2B, which s3rver (decodeURI) does not decode; awkward keys are covered by tests.
//   npx tsx bench/files/run.ts            FILES_BENCH_OBJECTS=1000 FILES_BENCH_MB=1024 npx tsx bench/files/run.ts
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseConfig } from '../../src/config/load.js';
import { EngineSession } from '../../src/engine/session.js';
import { filesCopy } from '../../src/plans/steps/files-copy.js';
import { startS3rverProcess } from '../../src/sandbox/s3rver-process.js';
import { LOCAL_CREDENTIALS } from '../../src/sandbox/stack.js';

const run = promisify(execFile);
const OBJECTS = Number(process.env.FILES_BENCH_OBJECTS ?? 200);
const TOTAL_MB = Number(process.env.FILES_BENCH_MB ?? 200);
const MiB = 1024 * 1024;

async function countAndBytes(s3: S3Client, bucket: string) {
  let token: string | undefined;
  let count = 0;
  let bytes = 0;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of out.Contents ?? []) {
      count++;
      bytes += o.Size ?? 0;
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return { count, bytes };
}

async function main() {
  const s3rver = await startS3rverProcess();
  const s3 = new S3Client({
    endpoint: s3rver.endpoint,
    region: 'us-east-1',
    credentials: { ...LOCAL_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    for (const b of ['bench-src', 'bench-tool', 'bench-aws'])
      await s3.send(new CreateBucketCommand({ Bucket: b }));
    // Sizes vary from 0.25x to 1.75x the mean, plus a few objects over one part (multipart path).
    const mean = (TOTAL_MB * MiB) / OBJECTS;
    const sizes = Array.from({ length: OBJECTS }, (_, i) =>
      Math.round(mean * (0.25 + ((i * 7919) % 1000) / 666)),
    );
    const scale = (TOTAL_MB * MiB) / sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < sizes.length; i++) sizes[i] = Math.round((sizes[i] as number) * scale);
    const seedStart = Date.now();
    const chunk = randomBytes(4 * MiB);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < OBJECTS; i = next++) {
          const size = sizes[i] as number;
          const body = Buffer.allocUnsafe(size);
          for (let o = 0; o < size; o += chunk.length)
            chunk.copy(body, o, 0, Math.min(chunk.length, size - o));
          body.writeUInt32BE(i, 0);
          await s3.send(
            new PutObjectCommand({
              Bucket: 'bench-src',
              Key: `data/obj-${String(i).padStart(5, '0')}.bin`,
              Body: body,
              ContentType: 'application/octet-stream',
            }),
          );
        }
      }),
    );
    const seeded = await countAndBytes(s3, 'bench-src');
    console.log(
      `seeded ${seeded.count} objects, ${(seeded.bytes / MiB).toFixed(0)} MiB in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`,
    );

    // The tool: files.copy through the S3-compatible source mode.
    const dir = mkdtempSync(join(tmpdir(), 'files-bench-'));
    const configPath = join(dir, 'migrations.config.json');
    const raw = JSON.stringify({
      project: 'files-bench',
      source: {
        supabase: {
          buckets: ['bench-src'],
          storage: {
            mode: 's3',
            s3Endpoint: s3rver.endpoint,
            s3AccessKeyId: LOCAL_CREDENTIALS.accessKeyId,
            s3SecretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
          },
        },
      },
      target: {
        aws: {
          region: 'us-east-1',
          credentials: { ...LOCAL_CREDENTIALS },
          endpoints: { s3: s3rver.endpoint },
        },
        s3: { bucket: 'bench-tool', concurrency: Number(process.env.FILES_BENCH_CONCURRENCY ?? 8) },
      },
    });
    writeFileSync(configPath, raw);
    const session = new EngineSession(parseConfig(raw, configPath, process.env));
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    const t0 = performance.now();
    const ctx = session.context(filesCopy);
    for (const change of await filesCopy.plan(ctx)) await filesCopy.apply(ctx, change);
    const toolMs = performance.now() - t0;
    clearInterval(sampler);
    await session.close();
    const copied = await countAndBytes(s3, 'bench-tool');

    // The anchor: aws s3 sync between the same buckets (server-side CopyObject per object).
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const t1 = performance.now();
    await run(
      'aws',
      [
        's3',
        'sync',
        's3://bench-src',
        's3://bench-aws',
        '--endpoint-url',
        s3rver.endpoint,
        '--only-show-errors',
      ],
      {
        env,
        maxBuffer: 64 * MiB,
      },
    );
    const awsMs = performance.now() - t1;
    const synced = await countAndBytes(s3, 'bench-aws');

    const result = {
      benchmark: 'files.copy (s3 source mode) vs aws s3 sync, s3rver to s3rver',
      machine: { cores: cpus().length, memGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
      objects: OBJECTS,
      totalMiB: Math.round(seeded.bytes / MiB),
      largestMiB: +(Math.max(...sizes) / MiB).toFixed(2),
      toolSeconds: +(toolMs / 1000).toFixed(2),
      awsSyncSeconds: +(awsMs / 1000).toFixed(2),
      ratioToolOverAws: +(toolMs / awsMs).toFixed(3),
      toolMiBps: +(seeded.bytes / MiB / (toolMs / 1000)).toFixed(1),
      peakRssMiB: Math.round(peak / MiB),
      rssBeforeCopyMiB: Math.round(rssBefore / MiB),
      copiedOk: copied.count === seeded.count && copied.bytes === seeded.bytes,
      awsSyncOk: synced.count === seeded.count && synced.bytes === seeded.bytes,
      note: 'aws s3 sync between two buckets uses server-side CopyObject (no bytes through the client); files.copy streams every byte through this process and hashes it (SHA-256), as a Supabase-to-AWS copy must.',
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
    writeFileSync(
      join(import.meta.dirname, '..', 'results', 'files.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    rmSync(dir, { recursive: true, force: true });
  } finally {
    s3.destroy();
    await s3rver.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
