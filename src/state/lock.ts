import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../core/errors.js';
import { messages } from '../core/messages.js';

// One lock per state directory, like Terraform's state lock: it names its holder, and a lock left by a
// dead process can be taken over explicitly with --force-unlock (never silently).

export interface LockHolder {
  pid: number;
  host: string;
  user: string;
  operation: string;
  since: string;
}

export class StateLock {
  private held = false;
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'lock.json');
    mkdirSync(stateDir, { recursive: true });
  }

  acquire(operation: string, options: { forceUnlock?: boolean } = {}): LockHolder {
    const me: LockHolder = {
      pid: process.pid,
      host: hostname(),
      user: safeUser(),
      operation,
      since: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
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
      const holder = this.holder();
      if (holder === undefined) {
        // Torn or empty lock file: its writer died before finishing; treat it as dead.
        rmSync(this.path, { force: true });
        continue;
      }
      const dead = holder.host === me.host && !processAlive(holder.pid);
      if (options.forceUnlock && dead) {
        rmSync(this.path, { force: true });
        continue;
      }
      throw new LockHeldError({
        code: 'LOCK_HELD',
        kind: 'config',
        message: messages.lock.held(holder, this.path),
        hint: dead ? messages.lock.deadHint : messages.lock.aliveHint(holder),
      });
    }
    throw new LockHeldError({ code: 'LOCK_HELD', kind: 'config', message: messages.lock.race(this.path) });
  }

  holder(): LockHolder | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as LockHolder;
      return typeof parsed.pid === 'number' ? parsed : undefined;
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
