// Benchmark of files.copy: N objects (default 200, about 200 MiB; FILES_BENCH_OBJECTS / FILES_BENCH_MB for
// the full 1,000 / 1,024) in one s3rver bucket, read through the S3-compatible source mode into another
// bucket, against, in the same run:
//   - `aws s3 sync` between the same two buckets (the anchor: server-side CopyObject, no bytes
//     through the client);
//   - `aws s3 sync` to a local directory and from it to a third bucket (the bytes through the client, as
//     any copy from Supabase to AWS must move them).
// FILES_BENCH_MULTIPART (default 4) of the objects are 20 MiB, over one 8 MiB part (the multipart path).
// Then the same bytes again as objects of FILES_BENCH_LARGE_MB (default 25; 0 skips) for peak RSS against
// object size. The tool runs in its own process from the build (`npm run build` first), so its peak RSS is
// VmHWM. Writes bench/results/files.json. Keys are plain: aws-cli encodes `+` in x-amz-copy-source as
// %2B, which s3rver (decodeURI) does not decode; awkward keys are covered by tests.
//   FILES_BENCH_OBJECTS=1000 FILES_BENCH_MB=1024 npx tsx bench/files/run.ts
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3rverProcess } from '../../src/sandbox/s3rver-process.js';
import { LOCAL_CREDENTIALS } from '../../src/sandbox/stack.js';

const run = promisify(execFile);
const OBJECTS = Number(process.env.FILES_BENCH_OBJECTS ?? 200);
const TOTAL_MB = Number(process.env.FILES_BENCH_MB ?? 200);
const MiB = 1024 * 1024;
const MULTIPART = Number(process.env.FILES_BENCH_MULTIPART ?? 4);
const LARGE = 20 * MiB;
const LARGE_RUN_MB = Number(process.env.FILES_BENCH_LARGE_MB ?? 25);

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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function seed(s3: S3Client, bucket: string, sizes: number[]) {
  const chunk = randomBytes(4 * MiB);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < sizes.length; i = next++) {
        const size = sizes[i] as number;
        const body = Buffer.allocUnsafe(size);
        for (let o = 0; o < size; o += chunk.length) chunk.copy(body, o, 0, Math.min(chunk.length, size - o));
        body.writeUInt32BE(i, 0);
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `data/obj-${String(i).padStart(5, '0')}.bin`,
            Body: body,
            ContentType: 'application/octet-stream',
          }),
        );
      }
    }),
  );
  return countAndBytes(s3, bucket);
}

async function main() {
  const dist = process.env.ENGIFY_DIST ?? join(import.meta.dirname, '..', '..', 'dist');
  const s3rver = await startS3rverProcess();
  const s3 = new S3Client({
    endpoint: s3rver.endpoint,
    region: 'us-east-1',
    credentials: { ...LOCAL_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dir = mkdtempSync(join(tmpdir(), 'files-bench-'));
  try {
    const buckets = [
      'bench-src',
      'bench-tool',
      'bench-aws',
      'bench-aws-client',
      'bench-large',
      'bench-large-tool',
    ];
    for (const b of buckets) await s3.send(new CreateBucketCommand({ Bucket: b }));
    // Sizes vary from 0.25x to 1.75x the mean, plus MULTIPART objects of 2.5 parts; the total stays TOTAL_MB.
    const small = OBJECTS - MULTIPART;
    const sizes = Array.from({ length: small }, (_, i) => 0.25 + ((i * 7919) % 1000) / 666);
    const scale = (TOTAL_MB * MiB - MULTIPART * LARGE) / sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < sizes.length; i++) sizes[i] = Math.round((sizes[i] as number) * scale);
    for (let i = 0; i < MULTIPART; i++) sizes.splice(Math.floor(((i + 0.5) * small) / MULTIPART), 0, LARGE);
    const seedStart = Date.now();
    const seeded = await seed(s3, 'bench-src', sizes);
    console.log(
      `seeded ${seeded.count} objects, ${(seeded.bytes / MiB).toFixed(0)} MiB in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`,
    );

    // The tool: files.copy through the S3-compatible source mode, in its own process.
    const runTool = (from: string, to: string) => {
      // One directory per run: the journal (state dir) sits next to the config.
      const runDir = join(dir, to);
      mkdirSync(runDir);
      const configPath = join(runDir, 'migrations.config.json');
      writeFileSync(
        configPath,
        JSON.stringify({
          project: 'files-bench',
          source: {
            supabase: {
              buckets: [from],
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
            s3: { bucket: to, concurrency: Number(process.env.FILES_BENCH_CONCURRENCY ?? 8) },
          },
        }),
      );
      const serverCpu0 = cpuSecondsOf(s3rver.pid);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [join(import.meta.dirname, 'tool-child.mjs'), configPath], {
        encoding: 'utf8',
        env: { ...process.env, ENGIFY_DIST: dist },
      });
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`tool failed: ${r.stderr}`);
      const child = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as {
        cpuUser: number;
        cpuSystem: number;
        peakRssMb: number;
      };
      return { seconds, ...child, s3rverCpu: cpuSecondsOf(s3rver.pid) - serverCpu0 };
    };
    const tool = runTool('bench-src', 'bench-tool');
    const copied = await countAndBytes(s3, 'bench-tool');
    console.log(`files.copy: ${tool.seconds.toFixed(2)} s, peak RSS ${tool.peakRssMb.toFixed(0)} MB`);

    // s3rver has no UploadPartCopy: aws-cli must copy the multipart-size objects in one CopyObject.
    const awsConfig = join(dir, 'aws-config');
    writeFileSync(awsConfig, '[default]\ns3 =\n  multipart_threshold = 64MB\n');
    const env = {
      ...process.env,
      AWS_CONFIG_FILE: awsConfig,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const aws = async (from: string, to: string) =>
      run('aws', ['s3', 'sync', from, to, '--endpoint-url', s3rver.endpoint, '--only-show-errors'], {
        env,
        maxBuffer: 64 * MiB,
      });

    // The anchor: aws s3 sync between the same buckets (server-side CopyObject per object).
    const serverCpu1 = cpuSecondsOf(s3rver.pid);
    const t1 = performance.now();
    await aws('s3://bench-src', 's3://bench-aws');
    const awsMs = performance.now() - t1;
    const serverCpuAws = cpuSecondsOf(s3rver.pid) - serverCpu1;
    const synced = await countAndBytes(s3, 'bench-aws');

    // The bytes through the client: aws-cli downloading the bucket to disk, then uploading it.
    const staging = mkdtempSync(join(tmpdir(), 'files-bench-aws-'));
    const t2 = performance.now();
    await aws('s3://bench-src', staging);
    await aws(staging, 's3://bench-aws-client');
    const awsClientMs = performance.now() - t2;
    rmSync(staging, { recursive: true, force: true });
    const throughClient = await countAndBytes(s3, 'bench-aws-client');
    console.log(
      `aws s3 sync: ${(awsMs / 1000).toFixed(2)} s server-side, ${(awsClientMs / 1000).toFixed(2)} s through the client`,
    );

    // Peak RSS against object size: the same bytes as fewer, larger (multipart) objects.
    let large: { objects: number; objectMiB: number; seconds: number; peakRssMb: number } | null = null;
    if (LARGE_RUN_MB > 0) {
      const count = Math.max(1, Math.round(TOTAL_MB / LARGE_RUN_MB));
      await seed(
        s3,
        'bench-large',
        Array.from({ length: count }, () => LARGE_RUN_MB * MiB),
      );
      const t = runTool('bench-large', 'bench-large-tool');
      const done = await countAndBytes(s3, 'bench-large-tool');
      if (done.count !== count) throw new Error(`large run copied ${done.count} of ${count} objects`);
      large = {
        objects: count,
        objectMiB: LARGE_RUN_MB,
        seconds: +t.seconds.toFixed(2),
        peakRssMb: Math.round(t.peakRssMb),
      };
      console.log(
        `files.copy, ${count} x ${LARGE_RUN_MB} MiB: ${t.seconds.toFixed(2)} s, peak RSS ${t.peakRssMb.toFixed(0)} MB`,
      );
    }

    const ok = (c: { count: number; bytes: number }) => c.count === seeded.count && c.bytes === seeded.bytes;
    const result = {
      benchmark: 'files.copy (s3 source mode) vs aws s3 sync, s3rver to s3rver',
      machine: { cores: cpus().length, memGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
      loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      objects: OBJECTS,
      totalMiB: Math.round(seeded.bytes / MiB),
      multipartObjects: MULTIPART,
      largestMiB: +(Math.max(...sizes) / MiB).toFixed(2),
      toolSeconds: +tool.seconds.toFixed(2),
      awsSyncSeconds: +(awsMs / 1000).toFixed(2),
      ratioToolOverAws: +((tool.seconds * 1000) / awsMs).toFixed(3),
      awsThroughClientSeconds: +(awsClientMs / 1000).toFixed(2),
      ratioToolOverAwsThroughClient: +((tool.seconds * 1000) / awsClientMs).toFixed(3),
      toolMiBps: +(seeded.bytes / MiB / tool.seconds).toFixed(1),
      cpuSeconds: {
        toolUser: +tool.cpuUser.toFixed(2),
        toolSystem: +tool.cpuSystem.toFixed(2),
        s3rverDuringTool: +tool.s3rverCpu.toFixed(2),
        s3rverDuringAwsSync: +serverCpuAws.toFixed(2),
      },
      peakRssMb: Math.round(tool.peakRssMb),
      largeObjects: large,
      copiedOk: ok(copied),
      awsSyncOk: ok(synced),
      awsThroughClientOk: ok(throughClient),
      note: 'aws s3 sync between two buckets uses server-side CopyObject (no bytes through the client); files.copy streams every byte through its process and hashes it (SHA-256), as a Supabase-to-AWS copy must. awsThroughClient: aws s3 sync to a local directory, then from it to a third bucket.',
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
    writeFileSync(
      join(import.meta.dirname, '..', 'results', 'files.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    s3.destroy();
    await s3rver.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
