import type { Readable } from 'node:stream';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import type { RowChange, RowValues, TableName } from '../../../core/sync-contracts.js';
import { bigIntToLsn, compareLsn, lsnToBigInt, maxLsn, ZERO_LSN } from '../../../providers/postgres/lsn.js';
import type { Applier } from './applier.js';
import { noKeyError } from './preflight.js';
import { recordApplied, type SessionState } from './session-state.js';

// One connection's worth of logical decoding: START_REPLICATION on the slot with pgoutput, every
// message into one ordered queue (data and keepalives alike, so a keepalive is never acted on before
// the changes that precede it), and one loop applying the queue through the Applier. The slot is
// acknowledged only up to what the applying side has committed; a crash anywhere re-sends at most
// the uncommitted tail, which the stored position then skips.

export interface LogicalSessionOptions {
  sourceUrl: string;
  slot: string;
  publication: string;
  /** Transactions whose replication origin is one of these were written by our own appliers: skipped. */
  skipOrigins: (origin: string) => boolean;
  applier: Applier;
  state: SessionState;
}

/**
 * pgoutput, with column values kept as the server's text (no lossy JS parsing of timestamps, numerics,
 * json). Transactions of our own appliers are recognised by their Origin message and dropped here, not
 * with PostgreSQL 16's `origin 'none'` option: that would also drop changes a source receives from
 * someone else's replication, which are the source's data all the same.
 */
class TextPgoutputPlugin extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    if (message.tag === 'relation')
      for (const column of message.columns) column.parser = (raw: unknown) => raw;
    return message;
  }
}

type QueueItem =
  | { kind: 'data'; message: Pgoutput.Message }
  | { kind: 'keepalive'; walEnd: string; respond: boolean };

const PAUSE_AT = 20_000;
const RESUME_AT = 2_000;
const STATUS_INTERVAL_MS = 5_000;

export async function runLogicalSession(options: LogicalSessionOptions): Promise<void> {
  const { applier, state } = options;
  const queue = new FifoQueue<QueueItem>();
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let ended = false;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const service = new LogicalReplicationService(
    {
      connectionString: options.sourceUrl,
      application_name: 'engify-migrate-sync',
      connectionTimeoutMillis: 10_000,
    },
    { acknowledge: { auto: false, timeoutSeconds: 0 } },
  );
  // The library keeps its connection private; pausing its socket is the only backpressure it offers.
  const stream = () => (service as unknown as { _connection?: { stream?: Readable } })._connection?.stream;
  let paused = false;

  service.on('data', (_lsn: string, message: Pgoutput.Message) => {
    queue.push({ kind: 'data', message });
    if (!paused && queue.length >= PAUSE_AT) {
      paused = true;
      stream()?.pause();
    }
    notify();
  });
  service.on('heartbeat', (walEnd: string, _ts: number, respond: boolean) => {
    queue.push({ kind: 'keepalive', walEnd, respond });
    notify();
  });
  service.on('error', (error: Error) => {
    failure ??= error;
    notify();
  });

  let confirmed = applier.position?.position ?? ZERO_LSN;
  const ack = (ping = false) => {
    // The library reports lsn+1 as flushed; the slot must confirm exactly the commit end we applied.
    const lsn = lsnToBigInt(confirmed);
    if (lsn > 0n) void service.acknowledge(bigIntToLsn(lsn - 1n), ping).catch(() => undefined);
    else if (ping) void service.acknowledge(ZERO_LSN, true).catch(() => undefined);
  };
  state.ping = () => ack(true);
  const statusTimer = setInterval(() => ack(false), STATUS_INTERVAL_MS);

  const skipBefore = confirmed;
  const plugin = new TextPgoutputPlugin({ protoVersion: 1, publicationNames: [options.publication] });
  const subscribed = service.subscribe(plugin, options.slot, skipBefore).then(
    () => {
      ended = true;
      notify();
    },
    (error: Error) => {
      failure ??= error;
      ended = true;
      notify();
    },
  );

  // Per source transaction.
  let inTransaction = false;
  let skip = false;
  let commitTimes: Date[] = [];
  let batchChanges = 0;
  let stopDeadline: number | undefined;

  // A target commit landed: the slot may advance to `position` (when there is one), and the lag figures
  // take in the batch's `changes`.
  const landed = (position: string | undefined, changes: number) => {
    if (position) {
      confirmed = maxLsn(confirmed, position);
      state.confirmed = confirmed;
    }
    state.pendingSince = undefined;
    recordApplied(state, commitTimes, changes);
    commitTimes = [];
    batchChanges = 0;
    ack(false);
  };

  const commitTarget = async () => {
    if (!applier.dirty) return;
    const changes = applier.batchChanges;
    const committed = await applier.commit();
    landed(committed?.position, changes);
  };

  const relationName = (r: Pgoutput.MessageRelation): TableName => ({ schema: r.schema, name: r.name });

  try {
    while (true) {
      if (failure) throw failure;
      if (state.stopRequested) {
        stopDeadline ??= Date.now() + 10_000;
        // Finish the source transaction in flight (its messages are already on their way), then stop.
        if (!inTransaction || Date.now() > stopDeadline) {
          if (inTransaction) await applier.rollback();
          else await commitTarget();
          return;
        }
      }
      const item = queue.shift();
      if (!item) {
        if (ended) {
          if (failure) throw failure;
          if (state.stopRequested) continue;
          throw new Error('the replication stream ended');
        }
        if (paused && queue.length <= RESUME_AT) {
          paused = false;
          stream()?.resume();
        }
        const due = applier.msUntilDue();
        if (due === 0 && !inTransaction) {
          await commitTarget();
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(Number.isFinite(due) ? due : 1000, 1000));
        });
        continue;
      }
      if (paused && queue.length <= RESUME_AT) {
        paused = false;
        stream()?.resume();
      }
      if (item.kind === 'keepalive') {
        if (!inTransaction) {
          // Nothing of ours is in flight and nothing uncommitted: everything before walEnd is applied
          // or not published. (A pending batch is left to its deadline: walsenders send a keepalive
          // after nearly every transaction, and committing on each would undo the batching.)
          if (!applier.dirty && compareLsn(item.walEnd, confirmed) > 0) {
            confirmed = item.walEnd;
            state.confirmed = confirmed;
          }
        }
        if (item.respond) ack(false);
        continue;
      }
      const m = item.message;
      switch (m.tag) {
        case 'begin': {
          inTransaction = true;
          // Transactions that end before the stored position are on the target already.
          skip = m.commitLsn !== null && compareLsn(m.commitLsn, confirmed) < 0;
          if (skip) state.stats.transactionsSkipped++;
          else state.pendingSince ??= toDate(m.commitTime);
          break;
        }
        case 'origin':
          if (options.skipOrigins(m.originName) && !skip) {
            skip = true;
            state.stats.transactionsSkipped++;
          }
          break;
        case 'relation':
          // A table can lose its key or identity after sync started; the start check covers the rest.
          if (m.keyColumns.length === 0 && m.replicaIdentity !== 'full') throw noKeyError([relationName(m)]);
          await applier.checkColumns(relationName(m), m.columns);
          break;
        case 'insert':
          if (!skip)
            await applyChange({ op: 'insert', table: relationName(m.relation), row: m.new as RowValues });
          break;
        case 'update':
          if (!skip) {
            const old = (m.old ?? m.key ?? undefined) as RowValues | undefined;
            await applyChange({
              op: 'update',
              table: relationName(m.relation),
              row: m.new as RowValues,
              old,
            });
          }
          break;
        case 'delete':
          if (!skip) {
            const old = (m.old ?? m.key ?? {}) as RowValues;
            await applyChange({ op: 'delete', table: relationName(m.relation), old });
          }
          break;
        case 'truncate':
          if (!skip)
            await applyChange({ op: 'truncate', tables: m.relations.map(relationName), cascade: m.cascade });
          break;
        case 'commit': {
          inTransaction = false;
          if (skip || !m.commitEndLsn) break;
          commitTimes.push(toDate(m.commitTime));
          const committedNow = await applier.endSourceTransaction(m.commitEndLsn, toDate(m.commitTime));
          if (committedNow) landed(m.commitEndLsn, batchChanges);
          break;
        }
        default:
          break;
      }
    }
  } finally {
    clearInterval(statusTimer);
    state.ping = undefined;
    if (applier.dirty) await applier.rollback();
    if (!failure) ack(false);
    await service.destroy().catch(() => undefined);
    await subscribed;
  }

  async function applyChange(change: RowChange): Promise<void> {
    batchChanges++;
    await applier.apply(change);
  }
}

function toDate(micros: unknown): Date {
  // The library types commit times as the BigInt wrapper; the values are bigint primitives.
  return new Date(Number((micros as bigint) / 1000n));
}

/** Array.shift() is O(n) on large arrays; a moving head keeps the message queue O(1) per item. */
class FifoQueue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
