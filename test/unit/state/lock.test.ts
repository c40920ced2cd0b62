import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockHeldError } from '../../../src/core/errors.js';
import { StateLock } from '../../../src/state/lock.js';

describe('state lock', () => {
  it('names the holder and refuses a second taker', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-lock-'));
    const first = new StateLock(dir);
    first.acquire('apply');
    expect(() => new StateLock(dir).acquire('rollback')).toThrow(LockHeldError);
    try {
      new StateLock(dir).acquire('rollback');
    } catch (e) {
      expect((e as Error).message).toContain(`pid ${process.pid}`);
      expect((e as Error).message).toContain('apply');
    }
    first.release();
    const again = new StateLock(dir);
    again.acquire('rollback');
    again.release();
  });

  it('lets --force-unlock take over only a lock whose process is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-lock-'));
    // pid 2^22+1 is above Linux's pid_max default range, so no live process has it.
    const dead = {
      pid: 4194305,
      host: hostname(),
      user: 'bob',
      operation: 'apply',
      since: '2026-01-01T00:00:00Z',
    };
    writeFileSync(join(dir, 'lock.json'), JSON.stringify(dead));
    const lock = new StateLock(dir);
    try {
      lock.acquire('apply');
      expect.unreachable();
    } catch (e) {
      expect((e as LockHeldError).hint).toContain('--force-unlock');
    }
    expect(lock.acquire('apply', { forceUnlock: true }).pid).toBe(process.pid);
    lock.release();
  });

  it('treats a torn lock file as dead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-lock-'));
    writeFileSync(join(dir, 'lock.json'), '{"pid":');
    const lock = new StateLock(dir);
    expect(lock.acquire('apply').pid).toBe(process.pid);
    lock.release();
  });
});
