import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresInstall } from '../../src/sandbox/postgres-install.js';

// A relocated copy of this machine's PostgreSQL install (system or embedded) whose share directory
// lacks some extensions, so a real server reports them absent from pg_available_extensions (as a
// managed target lacking an extension does). PostgreSQL finds its share and lib directories relative
// to the real path of its executables, so the few binaries a cluster needs are copied (not linked),
// in the same relative layout as the original; lib is linked whole.

export interface TrimmedInstall {
  bin: string;
  remove(): void;
}

export function postgresInstallWithout(extensions: string[]): TrimmedInstall {
  const install = findPostgresInstall();
  if (!install) throw new Error('no PostgreSQL install found');
  const root = mkdtempSync(join(tmpdir(), 'engify-pginstall-'));
  chmodSync(root, 0o755);
  // Debian: <root>/usr/lib/postgresql/15/{bin,lib} + <root>/usr/share/postgresql/15.
  // Embedded: <root>/{bin,lib} + <root>/share/postgresql (lib also holds the shared libraries).
  const debian = install.flavor === 'system';
  const major = String(install.major);
  const newBin = debian ? join(root, 'usr', 'lib', 'postgresql', major, 'bin') : join(root, 'bin');
  const newLib = debian ? join(root, 'usr', 'lib', 'postgresql', major, 'lib') : join(root, 'lib');
  const newShare = debian
    ? join(root, 'usr', 'share', 'postgresql', major)
    : join(root, 'share', 'postgresql');
  mkdirSync(newBin, { recursive: true });
  for (const exe of ['postgres', 'initdb', 'pg_ctl']) {
    copyFileSync(join(install.bin, exe), join(newBin, exe));
    chmodSync(join(newBin, exe), 0o755);
  }
  symlinkSync(join(install.bin, '..', 'lib'), newLib);
  mkdirSync(join(newShare, '..'), { recursive: true });
  cpSync(install.share, newShare, {
    recursive: true,
    filter: (src) => {
      const file = src.split('/').at(-1) ?? '';
      return !extensions.some((e) => file === `${e}.control` || file.startsWith(`${e}--`));
    },
  });
  return { bin: newBin, remove: () => rmSync(root, { recursive: true, force: true }) };
}
