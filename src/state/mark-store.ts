import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../core/contracts.js';
import { EngifyError } from '../core/errors.js';
import type { MarkStore } from '../core/marks.js';
import { messages } from '../core/messages.js';
import { ensureStateDir } from './ensure-dir.js';

// Per-object marks and watermarks of one scope (sync.files, sync.vectors, ...), beside the journal in
// <stateDir>/marks/<scope>.jsonl: append-only lines of [key, value], fsync'd after every write, read
// once into a map. The journal keeps what happened; these keep where a pass got to, so neither a
// lookup nor a write costs the length of the journal. A null value deletes a key. A torn last line
// after `kill -9` is ignored and cut, as in the journal; the file is compacted when it holds far more
// lines than live keys.

const COMPACT_FACTOR = 4;
const COMPACT_MIN_LINES = 1000;

export function openMarkStore(stateDir: string, scope: string): MarkStore {
  const dir = join(stateDir, 'marks');
  const path = join(dir, `${scope.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`);
  let map: Map<string, Json> | undefined;
  let lines = 0;
  let fd: number | undefined;

  const load = (): Map<string, Json> => {
    if (map) return map;
    map = new Map();
    if (!existsSync(path)) return map;
    const text = readFileSync(path, 'utf8');
    const parts = text.split('\n');
    // The last element is '' for a well-formed file, or a torn line after a crash: drop it either way.
    const torn = parts.pop() ?? '';
    parts.forEach((line, i) => {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        entry = undefined;
      }
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string')
        throw new EngifyError({
          code: 'MARKS_CORRUPT',
          kind: 'config',
          message: messages.state.marksCorrupt(path, i + 1),
          hint: messages.state.marksCorruptHint(path),
        });
      const [key, value] = entry as [string, Json];
      if (value === null) map?.delete(key);
      else map?.set(key, value);
    });
    lines = parts.length;
    if (torn !== '') {
      const keep = Buffer.byteLength(text) - Buffer.byteLength(torn);
      const cut = openSync(path, 'r+');
      ftruncateSync(cut, keep);
      fsyncSync(cut);
      closeSync(cut);
    }
    return map;
  };

  const append = (text: string) => {
    if (fd === undefined) {
      ensureStateDir(dir);
      fd = openSync(path, 'a');
    }
    writeSync(fd, text);
    fsyncSync(fd);
  };

  const compact = () => {
    const live = load();
    if (lines < COMPACT_MIN_LINES || lines < live.size * COMPACT_FACTOR) return;
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    const tmp = `${path}.${process.pid}.tmp`;
    const out = openSync(tmp, 'w');
    writeSync(out, [...live].map((e) => `${JSON.stringify(e)}\n`).join(''));
    fsyncSync(out);
    closeSync(out);
    // rename is atomic: a crash leaves either the old file or the compacted one.
    renameSync(tmp, path);
    lines = live.size;
  };

  return {
    get: (key) => load().get(key),
    entries: () => [...load()],
    set: (key, value) => {
      const live = load();
      if (value === null) {
        if (!live.has(key)) return;
        live.delete(key);
      } else live.set(key, value);
      append(`${JSON.stringify([key, value])}\n`);
      lines++;
      compact();
    },
    clear: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(path, { force: true });
      map = new Map();
      lines = 0;
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
