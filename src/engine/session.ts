import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { LoadedConfig } from '../core/load-config.js';
import type { LockHolder, TakeoverReason } from '../core/lock-holder.js';
import type { MarkStore } from '../core/marks.js';
import { createServices, type Services } from '../core/services.js';
import type { RollbackFlags, Step, StepContext } from '../core/step.js';
import { Journal } from '../state/journal.js';
import { StateLock } from '../state/lock.js';
import { openMarkStore } from '../state/mark-store.js';
import { stepJournal } from './step-journal.js';

// One engine session per CLI invocation: the loaded config, the journal, lazily created clients and,
// for operations that write, the state lock.

export interface SessionOptions {
  /** Take the state lock for this operation (apply, rollback, sync). Read-only commands do not. */
  lock?: string;
  forceUnlock?: boolean;
  force?: boolean;
  signal?: AbortSignal;
  services?: Services;
  /** rollback's --yes and --skip-final-snapshot, handed to the steps it undoes. */
  rollbackFlags?: RollbackFlags;
}

export interface StepHooks {
  log?(message: string): void;
  progress?(update: { done: number; total?: number; unit?: string }): void;
}

export class EngineSession {
  readonly journal: Journal;
  readonly services: Services;
  readonly signal: AbortSignal;
  readonly force: boolean;
  readonly rollbackFlags?: RollbackFlags;
  private readonly lock?: StateLock;
  private readonly markStores = new Map<string, MarkStore>();

  constructor(
    readonly loaded: LoadedConfig,
    options: SessionOptions = {},
  ) {
    if (options.lock) {
      this.lock = new StateLock(loaded.stateDir);
      this.lock.acquire(options.lock, { forceUnlock: options.forceUnlock });
    }
    // A constructor that throws hands back no session to close(), so give the lock back here: a
    // damaged journal must not also leave a lock that makes the next run exit 3.
    try {
      this.journal = new Journal(join(loaded.stateDir, 'journal.jsonl'), randomUUID(), loaded.redactor);
      this.services = options.services ?? createServices(loaded.config.target.aws);
    } catch (error) {
      this.lock?.release();
      throw error;
    }
    this.signal = options.signal ?? new AbortController().signal;
    this.force = options.force ?? false;
    if (options.rollbackFlags) this.rollbackFlags = options.rollbackFlags;
  }

  /** The lock this session took over from a run that is gone (to be said to the user), if any. */
  get lockTakeover(): { holder: LockHolder; reason: TakeoverReason; path: string } | undefined {
    const taken = this.lock?.takenOver;
    return taken && this.lock ? { ...taken, path: this.lock.path } : undefined;
  }

  context(step: Pick<Step, 'id'>, hooks: StepHooks = {}): StepContext {
    const redact = (m: string) => this.loaded.redactor.redact(m);
    return {
      config: this.loaded.config,
      stateDir: this.loaded.stateDir,
      configDir: dirname(this.loaded.path),
      services: this.services,
      journal: stepJournal(this.journal, step.id),
      redactor: this.loaded.redactor,
      signal: this.signal,
      force: this.force,
      ...(this.rollbackFlags ? { rollbackFlags: this.rollbackFlags } : {}),
      log: (message) => hooks.log?.(redact(message)),
      progress: (update) => hooks.progress?.(update),
      marks: (scope = step.id) => this.marks(scope),
    };
  }

  /** One store per scope for the whole session, so every context sees the same marks. */
  marks(scope: string): MarkStore {
    let store = this.markStores.get(scope);
    if (!store) {
      store = openMarkStore(this.loaded.stateDir, scope);
      this.markStores.set(scope, store);
    }
    return store;
  }

  async close(): Promise<void> {
    for (const store of this.markStores.values()) store.close();
    this.journal.close();
    await this.services.close();
    this.lock?.release();
  }
}
