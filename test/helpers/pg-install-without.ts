import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBin } from '../../src/sandbox/postgres-cluster.js';

// A relocated copy of this machine's PostgreSQL 15 install whose share directory lacks some extensions,
// so a real server reports them absent from pg_available_extensions (as a managed target lacking an
// extension does). PostgreSQL finds its share and lib directories relative to the real path of its
// executables, so the few binaries a cluster needs are copied (not linked); lib is linked whole.

export interface TrimmedInstall {
  bin: string;
  remove(): void;
}

export function postgresInstallWithout(extensions: string[]): TrimmedInstall {
  const bin = findPostgresBin();
  if (!bin?.includes('/usr/lib/postgresql/')) throw new Error('needs a Debian-layout PostgreSQL install');
  const major = bin.split('/').at(-2) ?? '15';
  const root = mkdtempSync(join(tmpdir(), 'engify-pginstall-'));
  chmodSync(root, 0o755);
  const newBin = join(root, 'usr', 'lib', 'postgresql', major, 'bin');
  mkdirSync(newBin, { recursive: true });
  for (const exe of ['postgres', 'initdb', 'pg_ctl']) copyFileSync(join(bin, exe), join(newBin, exe));
  for (const exe of ['postgres', 'initdb', 'pg_ctl']) chmodSync(join(newBin, exe), 0o755);
  symlinkSync(join(bin, '..', 'lib'), join(root, 'usr', 'lib', 'postgresql', major, 'lib'));
  const share = join(root, 'usr', 'share', 'postgresql', major);
  mkdirSync(join(root, 'usr', 'share', 'postgresql'), { recursive: true });
  cpSync(join('/usr/share/postgresql', major), share, {
    recursive: true,
    filter: (src) => {
      const file = src.split('/').at(-1) ?? '';
      return !extensions.some((e) => file === `${e}.control` || file.startsWith(`${e}--`));
    },
  });
  return { bin: newBin, remove: () => rmSync(root, { recursive: true, force: true }) };
}
