import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngifyError, exitCodeFor } from '../../../src/core/errors.js';
import { ensureStateDir } from '../../../src/state/ensure-dir.js';

const caught = (f: () => void): EngifyError => {
  try {
    f();
  } catch (error) {
    return error as EngifyError;
  }
  throw new Error('expected a throw');
};

describe('ensureStateDir', () => {
  it('makes missing levels and accepts a folder that is already there', () => {
    const base = mkdtempSync(join(tmpdir(), 'engify-dir-'));
    const deep = join(base, 'a', 'b', 'c');
    ensureStateDir(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    ensureStateDir(deep);
    expect(existsSync(deep)).toBe(true);
  });

  it('fails at once, as a config error naming the folder, where the file system refuses (/proc)', () => {
    const e = caught(() => ensureStateDir('/proc/engify-unit/x'));
    expect(e).toBeInstanceOf(EngifyError);
    expect(exitCodeFor(e)).toBe(2);
    expect(e.message).toContain('/proc/engify-unit/x');
    expect(e.message).toContain('ENOENT on /proc/engify-unit');
  });

  it('refuses a file in the way', () => {
    const base = mkdtempSync(join(tmpdir(), 'engify-dir-'));
    writeFileSync(join(base, 'f'), '');
    expect(caught(() => ensureStateDir(join(base, 'f'))).message).toContain('ENOTDIR');
    expect(caught(() => ensureStateDir(join(base, 'f', 'g'))).message).toContain('ENOTDIR');
  });
});
