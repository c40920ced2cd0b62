import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, LockHeldError } from '../../../src/core/errors.js';
import type { LockHolder } from '../../../src/core/lock-holder.js';
import { processStartTime, StateLock } from '../../../src/state/lock.js';

// pid 2^22+1 is above Linux's pid_max range, so no live process has it.
const DEAD_PID = 4194305;

function lockDirWith(holder: Partial<LockHolder>): string {
  const dir = mkdtempSync(join(tmpdir(), 'engify-lock-'));
  const full = {
    host: hostname(),
    user: 'bob',
    operation: 'apply',
    since: '2026-01-01T00:00:00Z',
    ...holder,
  };
  writeFileSync(join(dir, 'lock.json'), JSON.stringify(full));
  return dir;
}

const refusal = (f: () => unknown): LockHeldError => {
  try {
    f();
  } catch (error) {
    return error as LockHeldError;
  }
  throw new Error('expected the lock to be refused');
};

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

  it('records the start time of the process holding it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-lock-'));
    const lock = new StateLock(dir);
    lock.acquire('apply');
    const written = JSON.parse(readFileSync(lock.path, 'utf8')) as LockHolder;
    expect(written.pid).toBe(process.pid);
    if (process.platform === 'linux') expect(written.startTime).toMatch(/^\d+$/);
    expect(written.startTime).toBe(processStartTime(process.pid));
    lock.release();
  });

  it('takes over, and says so, a lock whose process is gone (same host, pid not alive)', () => {
    const dir = lockDirWith({ pid: DEAD_PID, startTime: '12345' });
    const lock = new StateLock(dir);
    expect(lock.acquire('apply').pid).toBe(process.pid);
    expect(lock.takenOver).toMatchObject({ holder: { pid: DEAD_PID, user: 'bob' }, reason: 'gone' });
    expect((JSON.parse(readFileSync(lock.path, 'utf8')) as LockHolder).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')(
    'takes over a lock whose pid is alive but belongs to another process now (recycled pid)',
    () => {
      // The parent process is alive; the lock says its pid started at another time, so it is not the holder.
      const actual = processStartTime(process.ppid);
      expect(actual).toMatch(/^\d+$/);
      const dir = lockDirWith({ pid: process.ppid, startTime: String(Number(actual) + 1) });
      const lock = new StateLock(dir);
      expect(lock.acquire('apply').pid).toBe(process.pid);
      expect(lock.takenOver).toMatchObject({ holder: { pid: process.ppid }, reason: 'pid-reused' });
      lock.release();
    },
  );

  it('refuses a live holder with exit 3, with or without --force-unlock', () => {
    const dir = lockDirWith({ pid: process.ppid, startTime: processStartTime(process.ppid) });
    for (const forceUnlock of [false, true]) {
      const e = refusal(() => new StateLock(dir).acquire('apply', { forceUnlock }));
      expect(e).toBeInstanceOf(LockHeldError);
      expect(exitCodeFor(e)).toBe(3);
      expect(e.message).toContain(`pid ${process.ppid}`);
      expect(e.hint).toContain(`Wait for pid ${process.ppid}`);
    }
  });

  it('refuses a live holder whose lock has no start time (older lock files): pid liveness decides', () => {
    const dir = lockDirWith({ pid: process.ppid });
    expect(exitCodeFor(refusal(() => new StateLock(dir).acquire('apply')))).toBe(3);
  });

  it('refuses a holder on another host with exit 3 (its pid means nothing here); --force-unlock takes it', () => {
    const dir = lockDirWith({ pid: DEAD_PID, host: 'build-box-7' });
    const e = refusal(() => new StateLock(dir).acquire('apply'));
    expect(exitCodeFor(e)).toBe(3);
    expect(e.message).toContain('build-box-7');
    expect(e.hint).toContain('--force-unlock');
    const lock = new StateLock(dir);
    expect(lock.acquire('apply', { forceUnlock: true }).pid).toBe(process.pid);
    expect(lock.takenOver).toMatchObject({ holder: { host: 'build-box-7' }, reason: 'forced' });
    lock.release();
  });

  it('does not delete the lock a rival rerun took over a moment earlier from the same dead holder', () => {
    const dir = lockDirWith({ pid: DEAD_PID });
    const rival = {
      pid: process.ppid,
      host: hostname(),
      user: 'carol',
      operation: 'apply',
      since: '2026-01-01T00:00:01Z',
      startTime: processStartTime(process.ppid),
    };
    // Between this run reading the dead holder and replacing it, the rival replaces it first.
    const lock = new StateLock(dir, {
      beforeTakeover: () => writeFileSync(join(dir, 'lock.json'), JSON.stringify(rival)),
    });
    const e = refusal(() => lock.acquire('apply'));
    expect(exitCodeFor(e)).toBe(3);
    expect(e.message).toContain('carol');
    expect(JSON.parse(readFileSync(join(dir, 'lock.json'), 'utf8'))).toEqual(rival);
    expect(lock.takenOver).toBeUndefined();
  });

  it('treats a torn lock file as dead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-lock-'));
    writeFileSync(join(dir, 'lock.json'), '{"pid":');
    const lock = new StateLock(dir);
    expect(lock.acquire('apply').pid).toBe(process.pid);
    lock.release();
  });
});

describe('processStartTime', () => {
  it.skipIf(process.platform !== 'linux')(
    'reads field 22 of /proc/<pid>/stat, and nothing for a dead pid',
    () => {
      const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
      const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      expect(processStartTime(process.pid)).toBe(afterComm[19]);
      expect(processStartTime(DEAD_PID)).toBeUndefined();
    },
  );
});
