import pg from 'pg';
import { EngifyError, isTransient } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type {
  BatchLimits,
  CaptureMode,
  Lag,
  SyncDirection,
  SyncHandle,
} from '../../../core/sync-contracts.js';
import { compareLsn } from '../../../providers/postgres/lsn.js';
import { Applier } from './applier.js';
import { runLogicalSession } from './logical-session.js';
import { checkLogicalSource, checkTargetTables } from './preflight.js';
import type { SessionState } from './session-state.js';
import { pendingTriggerRows, runTriggerSession } from './trigger-capture.js';

// Runs one sync stream (forward: source -> target; reverse: target -> source after cutover) until it is
// stopped: connect both sides, apply, and on a lost connection reconnect with jittered backoff and
// resume from the position stored on the applying side. Errors that will not fix themselves (a schema
// change, a table without a key, a missing slot) end the stream and are reported through `done`.

export interface SyncOptions {
  /** Name of the stream's position on the applying side: "forward", "reverse". */
  stream: string;
  direction: SyncDirection;
  mode: CaptureMode;
  /** Database changes are captured from. */
  fromUrl: string;
  /** Database changes are applied to. */
  toUrl: string;
  /** Logical decoding: the slot and publication on `fromUrl`. */
  slot?: string;
  publication?: string;
  /** Trigger capture: the snapshot (pg_snapshot text) the initial copy was taken at. */
  startPosition?: string;
  limits: BatchLimits;
  /** Replication origin the applier tags its writes with (loop prevention). Default engify_<stream>. */
  origin?: string;
  /** Capture skips transactions from these origins. Default: every engify_* origin. */
  skipOrigin?: (origin: string) => boolean;
  pollMs?: number;
  log?: (message: string) => void;
  onApplied?: (commitTimes: Date[], changes: number) => void;
}

const FATAL_UNLESS_CODE = /^(08|57|53|40|55)/;

function retryable(error: unknown): boolean {
  if (error instanceof EngifyError) return error.kind === 'transient';
  if (isTransient(error)) return true;
  const code = (error as { code?: unknown }).code;
  // No SQLSTATE: the socket went away ("Connection terminated unexpectedly", ECONNRESET, a timeout).
  if (typeof code !== 'string') return true;
  return FATAL_UNLESS_CODE.test(code) || code.startsWith('E');
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof EngifyError) return { code: error.code, message: error.message };
  const e = error as { code?: unknown; message?: unknown };
  return { code: typeof e.code === 'string' ? e.code : 'ERROR', message: String(e.message ?? error) };
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the database';
  }
}

async function connect(url: string, onError: (e: Error) => void): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'engify-migrate-sync',
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  });
  client.on('error', onError);
  await client.connect();
  return client;
}

export function startSync(options: SyncOptions): SyncHandle {
  const origin = options.origin ?? `engify_${options.stream}`;
  const skipOrigin = options.skipOrigin ?? ((name: string) => name.startsWith('engify_'));
  const state: SessionState = {
    stopRequested: false,
    polls: 0,
    samples: [],
    onApplied: options.onApplied,
    stats: {
      stream: options.stream,
      direction: options.direction,
      mode: options.mode,
      state: 'starting',
      transactionsApplied: 0,
      changesApplied: 0,
      targetCommits: 0,
      transactionsSkipped: 0,
      reconnects: 0,
      startedAt: new Date().toISOString(),
      changesPerSecond: 0,
    },
  };
  const errorListeners: ((error: Error) => void)[] = [];
  let wakeBackoff: (() => void) | undefined;
  let lagClient: pg.Client | undefined;

  const fromHost = hostOf(options.fromUrl);
  const toHost = hostOf(options.toUrl);

  const sessionOnce = async () => {
    const clients: pg.Client[] = [];
    let lost: Error | undefined;
    const onLost = (e: Error) => {
      lost ??= e;
    };
    try {
      const to = await connect(options.toUrl, onLost);
      clients.push(to);
      const applier = new Applier({
        client: to,
        stream: options.stream,
        encoding: options.mode === 'logical' ? 'text' : 'json',
        limits: options.limits,
        origin,
        side: toHost,
      });
      const stored = await applier.open();
      if (stored) state.confirmed = stored.position;
      const from = await connect(options.fromUrl, onLost);
      clients.push(from);
      state.stats.state = 'running';
      if (options.mode === 'logical') {
        const slot = options.slot ?? 'engify';
        const publication = options.publication ?? 'engify';
        const { tables, activePid } = await checkLogicalSource(from, slot, publication, fromHost);
        if (activePid !== undefined) {
          throw new EngifyError({
            code: 'SYNC_SLOT_BUSY',
            kind: 'transient',
            message: messages.sync.slotBusy(slot, activePid),
            hint: messages.sync.slotBusyHint,
          });
        }
        await checkTargetTables(from, applier, tables);
        await from.end();
        clients.pop();
        await runLogicalSession({
          sourceUrl: options.fromUrl,
          slot,
          publication,
          skipOrigins: skipOrigin,
          applier,
          state,
        });
      } else {
        await runTriggerSession({
          source: from,
          applier,
          state,
          stream: options.stream,
          startPosition: options.startPosition,
          pageSize: Math.max(100, options.limits.maxChanges),
          pollMs: options.pollMs ?? 200,
        });
      }
      if (lost) throw lost;
    } finally {
      for (const c of clients) await c.end().catch(() => undefined);
    }
  };

  const loop = async (): Promise<Error | undefined> => {
    let attempt = 0;
    while (!state.stopRequested) {
      const startedAt = Date.now();
      try {
        await sessionOnce();
        if (state.stopRequested) break;
      } catch (error) {
        const info = describe(error);
        state.stats.lastError = { ...info, at: new Date().toISOString() };
        if (!retryable(error)) {
          state.stats.state = 'failed';
          const err = error instanceof Error ? error : new Error(String(error));
          for (const l of errorListeners) l(err);
          return err;
        }
        if (state.stopRequested) break;
        if (Date.now() - startedAt > 10_000) attempt = 0;
        const delay = Math.min(5000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2);
        attempt++;
        state.stats.reconnects++;
        state.stats.state = 'reconnecting';
        options.log?.(messages.sync.reconnecting(options.stream, 'database', info.message, delay));
        await new Promise<void>((resolve) => {
          wakeBackoff = resolve;
          setTimeout(resolve, delay);
        });
      }
    }
    state.stats.state = 'stopped';
    return undefined;
  };

  const done = loop();
  let finished: Error | undefined;
  let isDone = false;
  void done.then((e) => {
    finished = e;
    isDone = true;
    const client = lagClient;
    lagClient = undefined;
    void client?.end().catch(() => undefined);
  });

  /** Runs `fn` on a plain connection to the capture side: kept while the stream runs, one-shot after. */
  const withFrom = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    if (isDone) {
      const once = await connect(options.fromUrl, () => undefined);
      try {
        return await fn(once);
      } finally {
        await once.end().catch(() => undefined);
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        lagClient ??= await connect(options.fromUrl, () => {
          lagClient = undefined;
        });
        return await fn(lagClient);
      } catch (error) {
        const stale = lagClient;
        lagClient = undefined;
        await stale?.end().catch(() => undefined);
        if (attempt >= 2 || !retryable(error)) throw error;
      }
    }
  };
  const queryFrom = <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> =>
    withFrom(async (client) => (await client.query<T>(sql, params)).rows);

  const lag = async (): Promise<Lag> => {
    const seconds = state.pendingSince ? Math.max(0, (Date.now() - state.pendingSince.getTime()) / 1000) : 0;
    let changes = 0;
    if (options.mode === 'logical') {
      const rows = await queryFrom<{ bytes: string | null }>(
        'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS bytes FROM pg_replication_slots WHERE slot_name = $1',
        [options.slot ?? 'engify'],
      );
      changes = Math.max(0, Number(rows[0]?.bytes ?? 0));
    } else if (state.confirmed) {
      const position = state.confirmed;
      changes = await withFrom((client) => pendingTriggerRows(client, position));
    }
    return {
      seconds,
      changes,
      unit: options.mode === 'logical' ? 'bytes' : 'rows',
      ...(state.lastAppliedCommitTime
        ? { lastAppliedCommitTime: state.lastAppliedCommitTime.toISOString() }
        : {}),
      ...(state.confirmed ? { appliedPosition: state.confirmed } : {}),
    };
  };

  const drain = async (drainOptions: { untilPosition?: string; timeoutMs?: number } = {}) => {
    const timeoutMs = drainOptions.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let until = drainOptions.untilPosition;
    const pollsAtStart = state.polls;
    if (options.mode === 'logical' && !until) {
      // A transactional marker written now: once the stream has passed it, everything committed
      // before this call has been applied.
      const rows = await queryFrom<{ lsn: string }>(
        "SELECT pg_logical_emit_message(true, 'engify-drain', '')::text AS lsn",
      ).catch(() => queryFrom<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'));
      until = rows[0]!.lsn;
    }
    while (true) {
      if (isDone)
        throw (
          finished ??
          new EngifyError({
            code: 'SYNC_STOPPED',
            kind: 'system',
            message: messages.sync.stopped(options.stream),
            hint: messages.sync.stoppedHint,
          })
        );
      if (options.mode === 'logical') {
        if (state.confirmed && until && compareLsn(state.confirmed, until) > 0) return;
        state.ping?.();
      } else if (state.polls >= pollsAtStart + 2 && state.confirmed) {
        // A changelog read that began after drain was called found nothing left, and nothing is pending.
        const current = await lag();
        if (current.changes === 0 && state.pendingSince === undefined) return;
      }
      if (Date.now() > deadline) {
        const current = await lag().catch(() => undefined);
        throw new EngifyError({
          code: 'SYNC_DRAIN_TIMEOUT',
          kind: 'transient',
          message: messages.sync.drainTimeout(
            options.stream,
            Math.round(timeoutMs / 1000),
            current ? `${current.seconds.toFixed(1)}s, ${current.changes} ${current.unit}` : 'unknown',
          ),
          hint: messages.sync.drainTimeoutHint,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  return {
    stop: async () => {
      state.stopRequested = true;
      wakeBackoff?.();
      await done;
    },
    lag,
    stats: () => ({ ...state.stats }),
    drain,
    done,
    onError: (listener) => {
      errorListeners.push(listener);
    },
  };
}

export interface ForwardSyncOptions extends Omit<SyncOptions, 'stream' | 'direction' | 'fromUrl' | 'toUrl'> {
  sourceUrl: string;
  targetUrl: string;
  stream?: string;
}

/** Source -> target, from the slot (or trigger snapshot) db.copy recorded. */
export function startForwardSync(options: ForwardSyncOptions): SyncHandle {
  const { sourceUrl, targetUrl, ...rest } = options;
  return startSync({
    ...rest,
    stream: options.stream ?? 'forward',
    direction: 'forward',
    fromUrl: sourceUrl,
    toUrl: targetUrl,
  });
}

/** Target -> source after cutover, so a rollback loses nothing. Forward-applied writes are not echoed back. */
export function startReverseSync(options: ForwardSyncOptions): SyncHandle {
  const { sourceUrl, targetUrl, ...rest } = options;
  return startSync({
    ...rest,
    stream: options.stream ?? 'reverse',
    direction: 'reverse',
    fromUrl: targetUrl,
    toUrl: sourceUrl,
  });
}
