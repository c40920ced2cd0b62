import { execFile } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

// A throwaway PostgreSQL cluster in a temp dir, on a free loopback port, configured for logical
// decoding. initdb refuses to run as root, so as root the cluster belongs to the `postgres` OS user.

export interface PostgresCluster {
  port: number;
  dataDir: string;
  /** Superuser URL for a database on this cluster. */
  url(database?: string): string;
  stop(): Promise<void>;
}

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

export function findPostgresBin(): string | undefined {
  if (process.env.ENGIFY_PG_BIN && existsSync(join(process.env.ENGIFY_PG_BIN, 'initdb')))
    return process.env.ENGIFY_PG_BIN;
  return BIN_DIRS.find((dir) => existsSync(join(dir, 'initdb')));
}

export async function startPostgresCluster(
  options: { bin?: string; port?: number } = {},
): Promise<PostgresCluster> {
  const bin = options.bin ?? findPostgresBin();
  if (!bin) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) were not found; install postgresql-15 or set ENGIFY_PG_BIN',
    );
  }
  const root = mkdtempSync(join(tmpdir(), 'engify-pg-'));
  const dataDir = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout.trim()), Number(gid.trim()));
    chmodSync(root, 0o700);
  }
  const port = options.port ?? (await freePort());
  const [initCmd, initArgs] = wrap(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '--auth=trust',
    '--username=postgres',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  await run(initCmd, initArgs);
  const conf = [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${root}'`,
    'wal_level = logical',
    'max_replication_slots = 20',
    'max_wal_senders = 20',
    'max_connections = 200',
    'fsync = off',
    'full_page_writes = off',
    'shared_buffers = 128MB',
    'max_wal_size = 2GB',
  ].join('\n');
  appendFileSync(join(dataDir, 'postgresql.conf'), `\n${conf}\n`);
  appendFileSync(join(dataDir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
  const logFile = join(root, 'server.log');
  writeFileSync(logFile, '');
  if (asRoot) await run('chown', ['postgres', logFile]);
  const [ctlCmd, ctlArgs] = wrap(join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    logFile,
    '-w',
    '-t',
    '30',
    'start',
  ]);
  await run(ctlCmd, ctlArgs);

  let stopped = false;
  return {
    port,
    dataDir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const [stopCmd, stopArgs] = wrap(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      await run(stopCmd, stopArgs).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
