import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { EngifyError } from '../core/errors.js';
import { messages } from '../core/messages.js';

// Node's mkdirSync({ recursive: true }) never returns on a path it cannot create under /proc: mkdir
// answers ENOENT, the parent answers EEXIST, and Node starts over, forever at 100% CPU. So the state
// directory is made one level at a time here, each level tried at most twice, and a failure is a
// config error naming the directory: the fix is always a different "stateDir".

export function ensureStateDir(path: string): void {
  try {
    makeDir(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const at = typeof e.path === 'string' ? e.path : path;
    throw new EngifyError({
      code: 'STATE_DIR_UNUSABLE',
      kind: 'config',
      message: messages.state.dirUnusable(path, String(e.code ?? 'error'), at),
      hint: messages.state.dirUnusableHint,
      detail: e.message,
      cause: error,
    });
  }
}

function makeDir(path: string): void {
  try {
    mkdirSync(path);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      requireDirectory(path);
      return;
    }
    if (code !== 'ENOENT') throw error;
  }
  const parent = dirname(path);
  if (parent === path) throw notCreatable(path);
  makeDir(parent);
  // The parent exists now; a second ENOENT means this file system refuses new entries here (/proc).
  try {
    mkdirSync(path);
  } catch (error) {
    // Another process may have made it between the two calls.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    requireDirectory(path);
  }
}

function requireDirectory(path: string): void {
  if (statSync(path).isDirectory()) return;
  const error: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, mkdir '${path}'`);
  error.code = 'ENOTDIR';
  error.path = path;
  throw error;
}

function notCreatable(path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`ENOENT: no such file or directory, mkdir '${path}'`);
  error.code = 'ENOENT';
  error.path = path;
  return error;
}
