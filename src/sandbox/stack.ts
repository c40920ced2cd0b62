import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type CloudWatchStandIn, startCloudWatchApi } from './cloudwatch-api.js';
import { type PostgresCluster, startPostgresCluster } from './postgres-cluster.js';
import { type SnsStandIn, startSnsApi } from './sns-api.js';

// The embedded local stack used by `demo`, `sandbox up` and the tests: real local services on free
// loopback ports, started in-process where possible, stopped together.

export interface LocalStack {
  root: string;
  /** The throwaway cluster hosting both the "Supabase" source and the "RDS" target databases. */
  postgres: PostgresCluster;
  endpoints: { dynamodb: string; s3: string; cognito: string; cloudwatch: string; sns: string };
  /** CloudWatch and SNS stand-ins (in this process: their clocks and throttling are driven from here). */
  cloudwatch: CloudWatchStandIn;
  sns: SnsStandIn;
  /** Credentials the local AWS stand-ins accept (s3rver insists on these exact ones). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

export interface StackOptions {
  lambdaEndpoint?: string;
  userMigrationFunction?: string;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export async function startLocalStack(options: StackOptions = {}): Promise<LocalStack> {
  // startPostgresCluster names what it looked for (system and embedded) when it finds neither.
  const root = mkdtempSync(join(tmpdir(), 'engify-stack-'));
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const [postgres, dynamodb, child, cloudwatch, sns] = await Promise.all([
      startPostgresCluster(),
      startDynalite(),
      startChild(root, options),
      startCloudWatchApi(),
      startSnsApi(),
    ]);
    stops.push(postgres.stop, dynamodb.stop, child.stop, cloudwatch.close, sns.close);
    return {
      root,
      postgres,
      cloudwatch,
      sns,
      endpoints: {
        dynamodb: dynamodb.url,
        s3: child.s3,
        cognito: child.cognito,
        cloudwatch: cloudwatch.url,
        sns: sns.url,
      },
      credentials: { ...LOCAL_CREDENTIALS },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startDynalite(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { default: dynalite } = await import('dynalite');
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startChild(
  root: string,
  options: StackOptions,
): Promise<{ s3: string; cognito: string; stop: () => Promise<void> }> {
  const here = dirname(fileURLToPath(import.meta.url));
  // Under vitest the sources are .ts; the child always runs the built file.
  const script = join(here.replace(/\/src\/sandbox$/, '/dist/sandbox'), 'services-child.js');
  const child: ChildProcess = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--no-warnings', script],
    {
      env: { ...process.env, ENGIFY_SANDBOX_CHILD: JSON.stringify({ root, ...options }) },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = await new Promise<{ s3: string; cognito: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as { s3: string; cognito: string });
      } catch {
        reject(new Error(`local stack child printed an unexpected line: ${line}`));
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`local stack child exited with ${code}: ${stderr.trim()}`)),
    );
  });
  return {
    ...ready,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
