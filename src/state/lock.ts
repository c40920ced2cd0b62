import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../core/errors.js';
import type { LockHolder, TakeoverReason } from '../core/lock-holder.js';
import { messages } from '../core/messages.js';
import { ensureStateDir } from './ensure-dir.js';

// One lock per state directory, like Terraform's state lock: it names its holder. A holder on this host
// whose process is gone (a kill -9, a crash) is taken over, and the caller says so: "after a crash, rerun
// the same command" must just work. A live holder is refused. A holder on another host cannot be checked
// from here, so it is refused too unless the user vouches for it with --force-unlock.

export class StateLock {
  private held = false;
  readonly path: string;
  /** Set by acquire() when it replaced someone else's lock. */
  takenOver: { holder: LockHolder; reason: TakeoverReason } | undefined;

  constructor(
    stateDir: string,
    /** Test seam: runs between reading a stale lock and replacing it, where a rival run could act. */
    private readonly hooks: { beforeTakeover?(): void } = {},
  ) {
    this.path = join(stateDir, 'lock.json');
    ensureStateDir(stateDir);
  }

  acquire(operation: string, options: { forceUnlock?: boolean } = {}): LockHolder {
    const startTime = processStartTime(process.pid);
    const me: LockHolder = {
      pid: process.pid,
      host: hostname(),
      user: safeUser(),
      operation,
      since: new Date().toISOString(),
      ...(startTime === undefined ? {} : { startTime }),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.path, 'wx');
        writeSync(fd, JSON.stringify(me));
        fsyncSync(fd);
        closeSync(fd);
        this.held = true;
        return me;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const seen = this.readText();
      if (seen === undefined) continue;
      const holder = parseHolder(seen);
      if (holder === undefined) {
        // Torn or empty lock file: its writer died before finishing; treat it as dead.
        this.replaceStale(seen);
        continue;
      }
      const standing = holderStanding(holder, me.host);
      const reason: TakeoverReason | undefined =
        standing === 'gone' || standing === 'pid-reused'
          ? standing
          : standing === 'other-host' && options.forceUnlock
            ? 'forced'
            : undefined;
      if (reason) {
        if (this.replaceStale(seen)) this.takenOver = { holder, reason };
        continue;
      }
      throw new LockHeldError({
        code: 'LOCK_HELD',
        kind: 'config',
        message: messages.lock.held(holder, this.path),
        hint:
          standing === 'other-host' ? messages.lock.otherHostHint(holder) : messages.lock.aliveHint(holder),
      });
    }
    throw new LockHeldError({ code: 'LOCK_HELD', kind: 'config', message: messages.lock.race(this.path) });
  }

  holder(): LockHolder | undefined {
    const text = this.readText();
    return text === undefined ? undefined : parseHolder(text);
  }

  /**
   * Removes the stale lock whose text was `seen`, unless a rival run replaced it in the meantime: two
   * reruns after a crash both see the dead holder, and the slower one must not delete the lock the
   * faster one has just taken. The file is moved aside atomically and checked; a lock that turns out to
   * be fresh is linked back (link fails if yet another lock appeared, which then stands). Returns
   * whether the stale lock was the one removed.
   */
  private replaceStale(seen: string): boolean {
    this.hooks.beforeTakeover?.();
    const aside = `${this.path}.${process.pid}.stale`;
    try {
      renameSync(this.path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    let moved: string | undefined;
    try {
      moved = readFileSync(aside, 'utf8');
    } catch {
      moved = undefined;
    }
    if (moved !== seen) {
      try {
        linkSync(aside, this.path);
      } catch {
        // A newer lock is in place: it stands, and the next attempt reads it.
      }
    }
    rmSync(aside, { force: true });
    return moved === seen;
  }

  private readText(): string | undefined {
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
  }

  release(): void {
    if (!this.held) return;
    const holder = this.holder();
    if (holder && holder.pid === process.pid) rmSync(this.path, { force: true });
    this.held = false;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as LockHolder;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function holderStanding(holder: LockHolder, host: string): 'alive' | 'gone' | 'pid-reused' | 'other-host' {
  if (holder.host !== host) return 'other-host';
  if (!processAlive(holder.pid)) return 'gone';
  // A live pid is the holder only if it is the same process: after a crash the pid may have been given
  // to an unrelated process. Without a recorded or readable start time, the pid alone decides.
  if (holder.startTime !== undefined) {
    const now = processStartTime(holder.pid);
    if (now !== undefined && now !== holder.startTime) return 'pid-reused';
  }
  return 'alive';
}

/**
 * The start time of a process as an opaque string, or undefined where it cannot be read. Linux only
 * (/proc/<pid>/stat field 22, clock ticks after boot); other platforms have no cheap equivalent without
 * spawning `ps`, so there the lock falls back to pid liveness alone.
 */
export function processStartTime(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 is the command name in parentheses and may itself hold spaces and ')': count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = fields[19];
    return startTime !== undefined && /^\d+$/.test(startTime) ? startTime : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
