import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { ensureStateDir } from '../state/ensure-dir.js';
import {
  FLAG_COMPONENTS,
  type FlagComponent,
  type FlagState,
  initialFlags,
  isMode,
  type Mode,
} from './modes.js';
import { FlagConflictError, type FlagStore } from './store.js';

// A JSON file, replaced atomically (write temp, fsync, rename) so the app never reads half a file.
export function fileFlagStore(path: string): FlagStore {
  const write = (state: FlagState) => {
    // Not mkdirSync({ recursive }): it never returns on a path it cannot create under /proc.
    ensureStateDir(dirname(path));
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  };
  const read = (): FlagState => {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<FlagState>;
    for (const c of FLAG_COMPONENTS) {
      if (!parsed[c] || !isMode(parsed[c]?.mode))
        throw new Error(`${path}: component ${c} has no valid mode`);
    }
    return parsed as FlagState;
  };
  return {
    location: path,
    exists: async () => existsSync(path),
    create: async (by) => {
      const fresh = initialFlags(by);
      if (!existsSync(path)) return write(fresh);
      const current = JSON.parse(readFileSync(path, 'utf8')) as Partial<FlagState>;
      write({ ...fresh, ...current });
    },
    read: async () => read(),
    set: async (component: FlagComponent, mode: Mode, expectedVersion: number, by: string) => {
      const state = read();
      if (state[component].version !== expectedVersion) throw new FlagConflictError(component);
      state[component] = {
        mode,
        version: expectedVersion + 1,
        updatedAt: new Date().toISOString(),
        updatedBy: by,
      };
      write(state);
    },
    destroy: async () => rmSync(path, { force: true }),
  };
}
