import { pipeline, Transform } from 'node:stream';
import type { Client } from 'pg';
import type { Json } from '../../core/contracts.js';
import { EngifyError, isTransient } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { SqlExecutor } from '../../core/sql-executor.js';
import type { StepJournal } from '../../core/step.js';
import { type TableInfo, tableKey, tableSql } from '../../providers/postgres/catalog.js';
import { copyFormat } from '../../providers/postgres/copy-out.js';
import { loadRangeByCopy, prepareLoadSession } from '../../providers/postgres/load/copy-in.js';
import { loadRangeByInsert } from '../../providers/postgres/load/insert-load.js';
import { tuneMaintenanceSession } from '../../providers/postgres/load/post-load.js';
import { setSequences } from '../../providers/postgres/load/sequences.js';
import { type KeyRange, rangePredicate, type SplitOptions } from '../../providers/postgres/ranges.js';
import type { Connect } from '../../providers/postgres/snapshot.js';
import { foreignKeyGates } from './db-copy-gates.js';
import { postgresConsistentRead, postgresSession } from './dialects/postgres-dialect.js';
import type { ConsistentRead, RangeReader, SourceDialect, SourceSession } from './source-dialect.js';

// The full load, from one consistent snapshot, in `jobs` parallel workers.
//
// Journal layout (step db.copy):
//   outputs    slot, publication, consistentPoint (LSN the slot starts at), snapshotAt, resumedAt,
//              ranges:<schema.table> (the key ranges, fixed at first split so reruns agree)
//   resources  replication-slot, publication (source), table-data (target tables this step loads)
//   streams    table:<schema.table>:<i> per range, table:<schema.table> per table, postload, sequences
//
// Resuming after a crash (kill -9): the exported snapshot died with the process, but the slot did not.
//   - Ranges already journaled are kept. The rest are copied under a NEW snapshot. A range's load is one
//     target transaction, so a range cut by the crash left nothing; one that committed before its
//     checkpoint is deleted with the other pending ranges before the copy starts (clearPendingRanges),
//     so every range ends exact.
//   - The slot keeps the FIRST snapshot's consistent point. Rows copied under the later snapshot already
//     hold some changes the slot will stream again; sync applies changes as upserts/deletes keyed by the
//     primary key, so replaying them converges (the target is consistent once sync passes `resumedAt`).
//     Dropping and recreating the slot instead would lose the changes made to already-copied tables
//     between the two snapshots, so the slot is kept.
//   - If the slot is gone or has lost its WAL, nothing copied can be tied to a change stream any more:
//     every range is forgotten and recopied under a new slot and snapshot (the range deletes clear the
//     old rows).
//   - Tables without a primary key are one range each, always copied whole under a single snapshot.
// A source without change capture (SQLite) has no slot: its copy resumes like a slot-less PostgreSQL
// copy (kept ranges stay, the rest are read again), which is exact because such a source must not be
// written to during the migration (the plan says so).

export type TargetLink =
  | { kind: 'copy'; connect: () => Promise<Client> }
  | { kind: 'insert'; open: () => Promise<SqlExecutor> };

/** What runCopy reads the source through: the source dialect (db.copy passes it). */
export type CopySource = Pick<SourceDialect, 'open' | 'consistentRead'>;

/** The PostgreSQL source reached through `connect` (for callers that hand runCopy a connection only). */
export const postgresCopySource = (connect: Connect): CopySource => ({
  open: async () => postgresSession(await connect()),
  consistentRead: (options) => postgresConsistentRead(connect, options?.slot),
});

export interface CopyRunOptions {
  stepId: string;
  /** The source, as its dialect; when absent, the PostgreSQL source `connectSource` reaches. */
  source?: CopySource;
  connectSource?: Connect;
  target: TargetLink;
  /** Executor for checks, DDL and sequences on the target. */
  targetExecutor: SqlExecutor;
  schemas: string[];
  jobs: number;
  split: SplitOptions;
  insertBatchRows: number;
  slotName: string;
  publication: string;
  journal: StepJournal;
  force: boolean;
  signal: AbortSignal;
  log(message: string): void;
  progress(update: { done: number; total?: number; unit?: string }): void;
  /**
   * Builds indexes and constraints after the load; returns how many it built. `running` holds what the
   * per-table build below still has in flight: awaited, not built twice.
   */
  postLoad(
    source: Client | undefined,
    targets: SqlExecutor[],
    running: BuildControl['running'],
  ): Promise<number>;
  /**
   * Builds one loaded table's own indexes and keys (never foreign keys) while other tables still load,
   * so the post-load step that follows has less left to do; must be idempotent (the final post-load
   * runs everything again and skips what exists), stop starting statements once `continueWhile()` is
   * false, and register what it is building in `running`. Returns how many objects it built.
   */
  tableLoaded?(
    source: Client | undefined,
    table: TableInfo,
    target: SqlExecutor,
    control: BuildControl,
  ): Promise<number>;
  /**
   * Foreign keys to attach to their table before it loads (see db-copy-gates.ts): the table then waits
   * until the tables it references are loaded and keyed. Needs tableLoaded (it builds those keys).
   */
  earlyForeignKeys?(): Promise<EarlyForeignKey[]>;
  /** Opens one more target executor for parallel post-load work. */
  openExecutor(): Promise<SqlExecutor>;
  /**
   * Tables outside `schemas` to load too (the target's auth.users shim). They are copied under the same
   * snapshot with the same rules, and may hold rows already (the auth migration's shadow users): their
   * ranges are replaced whole, so they end exact.
   */
  extraTables?(source: Client | undefined): Promise<TableInfo[]>;
}

/** How the per-table builds during the load hand over to the final post-load (see earlyBuilder). */
export interface BuildControl {
  continueWhile(): boolean;
  running: Map<string, Promise<unknown>>;
  /**
   * The table's keys (the unique indexes and constraints a foreign key needs) exist now: tables waiting for
   * it may attach their foreign keys and load. Called by tableLoaded between its keys and its other
   * indexes; the builder calls it after tableLoaded if it was not.
   */
  keyed(): Promise<void>;
}

export interface EarlyForeignKey {
  /** Referencing table, "schema.name". */
  table: string;
  /** Constraint name. */
  name: string;
  /** Referenced table. */
  references: string;
  /** Adds the key while its table is empty; 'occupied' leaves it to the post-load. */
  attach(target: SqlExecutor): Promise<'attached' | 'present' | 'occupied'>;
}

/** Journal output: the foreign keys attached before their table loaded (verify checks them for orphans). */
export const ATTACHED_BEFORE_LOAD = 'foreignKeysBeforeLoad';

export const rangeStream = (t: TableInfo, i: number) => `table:${tableKey(t)}:${i}`;
export const tableStream = (t: Pick<TableInfo, 'schema' | 'name'>) => `table:${tableKey(t)}`;
export const rangesOutput = (t: Pick<TableInfo, 'schema' | 'name'>) => `ranges:${tableKey(t)}` as const;
const TABLE_DATA = 'table-data';
const MAX_ATTEMPTS = 3;

export function storedRanges(
  journal: StepJournal,
  stepId: string,
  t: Pick<TableInfo, 'schema' | 'name'>,
): KeyRange[] | undefined {
  const value = journal.outputOf(stepId, rangesOutput(t));
  if (!Array.isArray(value)) return undefined;
  return value.map((v, index) => {
    const o = v as { lo: string | null; hi: string | null };
    return { index, lo: o.lo, hi: o.hi };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface WorkItem {
  table: TableInfo;
  range: KeyRange;
  of: number;
  /** Bytes relayed by the current attempt (COPY path), journaled with the range's checkpoint. */
  bytes?: number;
}

export interface CopyRunResult {
  tables: number;
  rangesCopied: number;
  rows: number;
  resumed: boolean;
}

function copySourceOf(o: CopyRunOptions): CopySource {
  if (o.source) return o.source;
  if (!o.connectSource) throw new Error('runCopy needs a source or connectSource');
  return postgresCopySource(o.connectSource);
}

export async function runCopy(o: CopyRunOptions): Promise<CopyRunResult> {
  const from = copySourceOf(o);
  const session = await from.open();
  const source = session.pg;
  let snapshot: ConsistentRead | undefined;
  try {
    const extras = (await o.extraTables?.(source)) ?? [];
    const tables = [...(await session.tables(o.schemas)), ...extras];
    if (tables.length === 0) {
      o.log(messages.dbCopy.noTables(o.schemas));
      return { tables: 0, rangesCopied: 0, rows: 0, resumed: false };
    }
    await checkTargetTables(o, tables, new Set(extras.map(tableKey)));

    const anyProgress = tables.some((t) => rangeProgress(o, t).some(Boolean));
    const recordedSlot = o.journal.outputOf(o.stepId, 'slot');
    let resume = false;
    if (anyProgress && recordedSlot !== undefined) {
      if (recordedSlot === null) resume = true;
      else {
        const state = session.capture
          ? await session.capture.slotState(String(recordedSlot))
          : { exists: false, lost: true };
        if (state.exists && !state.lost) resume = true;
        else {
          o.log(messages.dbCopy.slotLost(String(recordedSlot)));
          forgetProgress(o, tables);
        }
      }
    }

    if (resume) {
      snapshot = await from.consistentRead();
      o.journal.output('resumedAt', snapshot.lsn);
    } else {
      snapshot = await freshSnapshot(o, from, session, tables);
    }

    // Read beside the split (it translates the source schema again); awaited before the load starts.
    const earlyKeys = o.tableLoaded ? (o.earlyForeignKeys?.() ?? Promise.resolve([])) : Promise.resolve([]);
    earlyKeys.catch(() => undefined);
    // Ranges are split once, under the snapshot, and journaled so every rerun uses the same bounds.
    const work: WorkItem[] = [];
    const splitter = await snapshot.reader();
    try {
      for (const t of [...tables].sort((a, b) => b.estimatedBytes - a.estimatedBytes)) {
        if (o.journal.lastCheckpoint(tableStream(t))?.done) continue;
        let ranges = resume ? storedRanges(o.journal, o.stepId, t) : undefined;
        if (!ranges) {
          ranges = await splitter.split(t, o.split);
          o.journal.output(
            rangesOutput(t),
            ranges.map((r) => ({ lo: r.lo, hi: r.hi })),
          );
        }
        for (const r of ranges) {
          if (!o.journal.lastCheckpoint(rangeStream(t, r.index))?.done)
            work.push({ table: t, range: r, of: ranges.length });
        }
        if (!o.journal.createdResources().some((c) => c.kind === TABLE_DATA && c.name === tableKey(t))) {
          o.journal.intent({ kind: TABLE_DATA, name: tableKey(t) });
          o.journal.created({ kind: TABLE_DATA, name: tableKey(t) });
        }
      }
    } finally {
      await splitter.close();
    }
    if (resume)
      o.log(
        messages.dbCopy.resumed(
          recordedSlot === null ? null : String(recordedSlot),
          snapshot.lsn,
          work.length,
        ),
      );

    const early = earlyBuilder(o, source);
    const keys = await earlyKeys;
    const loading = new Set(work.map((w) => tableKey(w.table)));
    const fresh = new Set(
      tables.filter((t) => loading.has(tableKey(t)) && !rangeProgress(o, t).some(Boolean)).map(tableKey),
    );
    const gates = foreignKeyGates(keys, loading, fresh);
    let rows: number;
    try {
      rows = await runWorkers(o, snapshot, work, tables, early, { keys, gates });
      await snapshot.release();
      snapshot = undefined;

      // The early builder takes no new statement from here; the one it is on may still run, and the
      // post-load awaits it (through `running`) instead of waiting for it before starting everything else.
      if (!o.journal.lastCheckpoint('postload')?.done) {
        const extra: SqlExecutor[] = [];
        try {
          for (let i = 1; i < o.jobs; i++) extra.push(await o.openExecutor());
          for (const e of [o.targetExecutor, ...extra]) await tuneMaintenanceSession(e);
          const built = await o.postLoad(source, [o.targetExecutor, ...extra], early.running);
          o.log(messages.dbCopy.postLoadBuilt(built));
          o.journal.checkpoint('postload', null, built, true);
        } finally {
          for (const e of extra) await e.close().catch(() => undefined);
        }
      }
    } finally {
      await early.settle();
    }
    const values = await session.sequences(o.schemas);
    const set = await setSequences(o.targetExecutor, values);
    o.journal.checkpoint(
      'sequences',
      values.map((v) => `${v.schema}.${v.name}`),
      set,
      true,
    );
    o.log(messages.dbCopy.sequencesSet(set));
    return { tables: tables.length, rangesCopied: work.length, rows, resumed: resume };
  } finally {
    await snapshot?.release();
    await session.close().catch(() => undefined);
  }
}

function rangeProgress(o: CopyRunOptions, t: TableInfo): boolean[] {
  const ranges = storedRanges(o.journal, o.stepId, t) ?? [];
  return ranges.map((r) => o.journal.lastCheckpoint(rangeStream(t, r.index)) !== undefined);
}

function forgetProgress(o: CopyRunOptions, tables: TableInfo[]): void {
  for (const t of tables) {
    const ranges = storedRanges(o.journal, o.stepId, t) ?? [];
    for (const r of ranges)
      if (o.journal.lastCheckpoint(rangeStream(t, r.index)))
        o.journal.undone({ stream: rangeStream(t, r.index) });
    if (o.journal.lastCheckpoint(tableStream(t))) o.journal.undone({ stream: tableStream(t) });
  }
  if (o.journal.lastCheckpoint('postload')) o.journal.undone({ stream: 'postload' });
}

/** First run (or a restart after the slot was lost): publication, then the slot together with its snapshot. */
async function freshSnapshot(
  o: CopyRunOptions,
  from: CopySource,
  session: SourceSession,
  tables: TableInfo[],
): Promise<ConsistentRead> {
  const capture = session.capture;
  if (!capture) {
    // No change capture: a consistent read and nothing to create on the source.
    const read = await from.consistentRead();
    o.journal.output('publication', null);
    o.journal.output('slot', null);
    o.journal.output('consistentPoint', read.lsn);
    o.journal.output('snapshotAt', new Date().toISOString());
    return read;
  }
  // A slot of ours left by a crash before anything was copied cannot give its snapshot back: recreate it.
  const ours = [...o.journal.createdResources(), ...o.journal.pendingIntents()].filter(
    (r) => r.kind === 'replication-slot',
  );
  for (const r of ours) {
    await capture.dropSlot(r.name);
    o.journal.undone({ resource: r });
  }
  try {
    const publication = { kind: 'publication', name: o.publication };
    const ours = o.journal
      .createdResources()
      .some((r) => r.kind === 'publication' && r.name === o.publication);
    if (!ours) o.journal.intent(publication);
    const result = await capture
      .ensurePublication(
        o.publication,
        tables.filter((t) => t.publishable),
      )
      .catch((error: unknown) => {
        if (!ours) o.journal.undone({ resource: publication });
        throw error;
      });
    // An existing publication of the same name that this tool did not create is used, never dropped.
    if (!ours)
      result === 'created' ? o.journal.created(publication) : o.journal.undone({ resource: publication });
    o.journal.output('publication', o.publication);
  } catch (error) {
    o.log(messages.dbCopy.publicationFailed(o.publication, reason(error)));
    o.journal.output('publication', null);
  }
  const slot = { kind: 'replication-slot', name: o.slotName };
  o.journal.intent(slot);
  let snapshot: ConsistentRead;
  try {
    snapshot = await from.consistentRead({ slot: o.slotName });
    o.journal.created(slot);
    o.log(messages.dbCopy.slotCreated(o.slotName, snapshot.lsn));
  } catch (error) {
    o.journal.undone({ resource: slot });
    o.log(messages.dbCopy.noSlotPrivilege(reason(error)));
    snapshot = await from.consistentRead();
  }
  o.journal.output('slot', snapshot.slot ?? null);
  o.journal.output('consistentPoint', snapshot.lsn);
  o.journal.output('snapshotAt', new Date().toISOString());
  return snapshot;
}

/** Every target table must exist, and tables this step never loaded must be empty (unless --force). */
async function checkTargetTables(
  o: CopyRunOptions,
  tables: TableInfo[],
  replaceable: Set<string>,
): Promise<void> {
  const missing: string[] = [];
  const occupied: string[] = [];
  const ours = new Set(
    o.journal
      .createdResources()
      .filter((r) => r.kind === TABLE_DATA)
      .map((r) => r.name),
  );
  for (const t of tables) {
    const found = await o.targetExecutor.query('SELECT to_regclass($1) IS NOT NULL AS present', [
      tableSql(t),
    ]);
    if (found.rows[0]?.present !== true) {
      missing.push(tableKey(t));
      continue;
    }
    if (ours.has(tableKey(t)) || replaceable.has(tableKey(t)) || o.force) continue;
    const rows = await o.targetExecutor.query(`SELECT EXISTS (SELECT 1 FROM ${tableSql(t)}) AS occupied`);
    if (rows.rows[0]?.occupied === true) occupied.push(tableKey(t));
  }
  if (missing.length > 0) {
    throw new EngifyError({
      code: 'DB_COPY_TARGET_TABLE_MISSING',
      kind: 'config',
      message: messages.dbCopy.missingTargetTables(missing),
      hint: messages.dbCopy.missingTargetTablesHint,
    });
  }
  if (occupied.length > 0) {
    throw new EngifyError({
      code: 'DB_COPY_TARGET_NOT_EMPTY',
      kind: 'config',
      message: messages.dbCopy.nonEmptyTargetTables(occupied),
      hint: messages.dbCopy.nonEmptyTargetTablesHint,
    });
  }
}

interface Worker {
  closed?: boolean;
  source: RangeReader;
  target?: Client;
  executor?: SqlExecutor;
}

async function openWorker(o: CopyRunOptions, snapshot: ConsistentRead): Promise<Worker> {
  const source = await snapshot.reader();
  try {
    if (o.target.kind === 'copy') {
      const target = await o.target.connect();
      await prepareLoadSession(target);
      return { source, target };
    }
    return { source, executor: await o.target.open() };
  } catch (error) {
    await source.close().catch(() => undefined);
    throw error;
  }
}

async function closeWorker(w: Worker): Promise<void> {
  if (w.closed) return;
  w.closed = true;
  await w.source.close().catch(() => undefined);
  await w.target?.end().catch(() => undefined);
  await w.executor?.close().catch(() => undefined);
}

async function copyItem(o: CopyRunOptions, w: Worker, item: WorkItem, clear: boolean): Promise<number> {
  const { table, range } = item;
  if (w.target) {
    const format = copyFormat(table);
    // Counted on the way through (a pass-through keeps the relay's backpressure): the bytes of the
    // range's checkpoint, which the verify report turns into MiB/s.
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        item.bytes = (item.bytes ?? 0) + chunk.length;
        done(null, chunk);
      },
    });
    item.bytes = 0;
    // pipeline(): destroying the counted end (a failed load) destroys the relay from the source too.
    const rows = pipeline(w.source.copyOut(table, range, format), counted, () => undefined);
    return loadRangeByCopy(w.target, table, range, rows, format, { clear });
  }
  if (!w.executor) throw new Error('worker has no target');
  return loadRangeByInsert(w.executor, table, range, w.source.rows(table, range, o.insertBatchRows), {
    batchRows: o.insertBatchRows,
    clear,
  });
}

/**
 * Empties what the ranges still to copy cover, one statement per table that holds any row (a resumed
 * run, or --force onto an occupied table), so that each range's first attempt can skip its own delete:
 * before the keys are built that delete is a scan of the whole table, once per range. A range whose
 * COMMIT was lost in a crash before its checkpoint is cleared here on the next run, and a retry within
 * a run clears its own range. Runs with triggers and foreign keys off, like the load.
 */
async function clearPendingRanges(o: CopyRunOptions, work: WorkItem[]): Promise<void> {
  const byTable = new Map<string, WorkItem[]>();
  for (const item of work)
    byTable.set(tableKey(item.table), [...(byTable.get(tableKey(item.table)) ?? []), item]);
  for (const items of byTable.values()) {
    const table = (items[0] as WorkItem).table;
    const occupied = await o.targetExecutor.query(
      `SELECT EXISTS (SELECT 1 FROM ${tableSql(table)}) AS occupied`,
    );
    if (occupied.rows[0]?.occupied !== true) continue;
    const predicate = items.map((i) => `(${rangePredicate(table, i.range)})`).join(' OR ');
    await o.targetExecutor.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`DELETE FROM ${tableSql(table)} WHERE ${predicate}`);
    });
  }
}

async function runWorkers(
  o: CopyRunOptions,
  snapshot: ConsistentRead,
  work: WorkItem[],
  tables: TableInfo[],
  early: EarlyBuilder,
  order: { keys: EarlyForeignKey[]; gates: Map<string, Set<string>> },
): Promise<number> {
  const remaining = new Map<string, number>();
  for (const item of work)
    remaining.set(tableKey(item.table), (remaining.get(tableKey(item.table)) ?? 0) + 1);
  // Tables whose ranges were all journaled but not the table itself (a crash in between) close here.
  for (const t of tables) {
    if (!remaining.has(tableKey(t)) && !o.journal.lastCheckpoint(tableStream(t))?.done)
      o.journal.checkpoint(tableStream(t), null, 0, true);
  }
  await clearPendingRanges(o, work);
  const total = tables.reduce((n, t) => n + t.estimatedRows, 0);
  let rows = 0;
  let failure: unknown;
  const queue = [...work];
  let copying = 0;
  early.loading = () => (queue.length > 0 || copying > 0) && failure === undefined;

  // A table in `waiting` keeps its ranges in the queue until every table it references is loaded and
  // keyed; its foreign keys are then attached (it is still empty) and its ranges released. Workers with
  // nothing released sleep until a gate opens, the run fails or is aborted.
  const waiting = order.gates;
  const sleepers = new Set<() => void>();
  const wake = () => {
    for (const s of sleepers) s();
    sleepers.clear();
  };
  o.signal.addEventListener('abort', wake, { once: true });
  const take = async (): Promise<WorkItem | undefined> => {
    for (;;) {
      if (failure !== undefined || o.signal.aborted) return undefined;
      const i = queue.findIndex((it) => !waiting.has(tableKey(it.table)));
      if (i >= 0) return queue.splice(i, 1)[0];
      if (queue.length === 0) return undefined;
      await new Promise<void>((r) => sleepers.add(r));
    }
  };
  const attach = async (table: string, executor: SqlExecutor) => {
    let attached = 0;
    for (const k of order.keys.filter((k) => k.table === table)) {
      try {
        const outcome = await k.attach(executor);
        if (outcome === 'occupied') continue;
        // 'present' on an empty table: attached by a run that crashed before it could journal it.
        const before = o.journal.outputOf(o.stepId, ATTACHED_BEFORE_LOAD);
        const list = (Array.isArray(before) ? before : []) as { table: string; name: string }[];
        if (!list.some((l) => l.table === k.table && l.name === k.name))
          o.journal.output(ATTACHED_BEFORE_LOAD, [...list, { table: k.table, name: k.name }]);
        if (outcome === 'attached') attached++;
      } catch (error) {
        // Left to the post-load, which adds and validates it (and reports a real failure there).
        o.log(messages.dbCopy.foreignKeyNotAttached(`${k.table}.${k.name}`, reason(error)));
      }
    }
    if (attached > 0) o.log(messages.dbCopy.foreignKeysAttached(table, attached));
  };
  early.keyed = async (t, executor) => {
    const opened: string[] = [];
    for (const [table, refs] of waiting) if (refs.delete(tableKey(t)) && refs.size === 0) opened.push(table);
    for (const table of opened) {
      await attach(table, executor);
      waiting.delete(table);
    }
    if (opened.length > 0) wake();
  };
  // Without the builder nothing would open a gate: every waiting table loads now, its keys after the load.
  early.abandoned = () => {
    waiting.clear();
    wake();
  };

  const loop = async () => {
    let w: Worker;
    try {
      w = await openWorker(o, snapshot);
    } catch (error) {
      failure ??= error;
      wake();
      return;
    }
    try {
      for (let item = await take(); item && failure === undefined && !o.signal.aborted; item = await take()) {
        for (let attempt = 1; ; attempt++) {
          try {
            copying++;
            const n = await copyItem(o, w, item, attempt > 1).finally(() => copying--);
            o.journal.checkpoint(
              rangeStream(item.table, item.range.index),
              { lo: item.range.lo, hi: item.range.hi } as Json,
              n,
              true,
              item.bytes,
            );
            rows += n;
            o.progress({ done: rows, total, unit: 'rows' });
            o.log(messages.dbCopy.rangeDone(tableKey(item.table), item.range.index, item.of, n));
            const left = (remaining.get(tableKey(item.table)) ?? 1) - 1;
            remaining.set(tableKey(item.table), left);
            if (left === 0) {
              o.journal.checkpoint(tableStream(item.table), null, 0, true);
              early.add(item.table);
            }
            break;
          } catch (error) {
            // The connections may be mid-COPY: start the range over on fresh ones, same snapshot.
            await closeWorker(w);
            if (!isTransient(error) || attempt >= MAX_ATTEMPTS) {
              const label = messages.dbCopy.rangeLabel(item.range.index, item.range.lo, item.range.hi);
              throw new EngifyError({
                code: 'DB_COPY_RANGE_FAILED',
                kind: isTransient(error) ? 'transient' : 'system',
                message: messages.dbCopy.copyFailed(tableKey(item.table), label, reason(error)),
                hint: messages.dbCopy.copyFailedHint,
                cause: error,
              });
            }
            await sleep(200 * 2 ** attempt * (0.5 + Math.random()));
            w = await openWorker(o, snapshot);
          }
        }
      }
    } catch (error) {
      failure ??= error;
      wake();
    } finally {
      await closeWorker(w);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.jobs, work.length) }, loop));
  } finally {
    o.signal.removeEventListener('abort', wake);
  }
  if (failure !== undefined) throw failure;
  return rows;
}

interface EarlyBuilder {
  /** True while ranges are still being copied; set by runWorkers. */
  loading: () => boolean;
  /** A loaded table's keys exist (set by runWorkers: opens foreign-key gates). */
  keyed: (t: TableInfo, executor: SqlExecutor) => Promise<void>;
  /** The builder stopped for good: nothing will call keyed() again. */
  abandoned: () => void;
  running: Map<string, Promise<unknown>>;
  add(t: TableInfo): void;
  settle(): Promise<void>;
}

/**
 * Builds loaded tables' indexes and keys on one extra target session while ranges of other tables still
 * load (the load is ingest-bound, an index build is CPU-bound: they overlap well). Once no range is left
 * to copy it starts no new statement: the post-load step builds the rest with every job, awaiting the
 * statement this builder may still be on. Failures are only logged: the post-load step runs the same
 * statements again and reports them properly.
 */
function earlyBuilder(o: CopyRunOptions, source: Client | undefined): EarlyBuilder {
  const pending: TableInfo[] = [];
  let running: Promise<void> | undefined;
  let executor: SqlExecutor | undefined;
  const builder: EarlyBuilder = {
    loading: () => false,
    keyed: async () => undefined,
    abandoned: () => undefined,
    running: new Map(),
    add(t: TableInfo) {
      if (!o.tableLoaded) return;
      pending.push(t);
      running ??= drain();
    },
    async settle() {
      pending.length = 0;
      await running;
      builder.abandoned();
      await executor?.close().catch(() => undefined);
    },
  };
  const go = () => builder.loading() && !o.signal.aborted;
  const drain = async () => {
    try {
      for (let t = pending.shift(); t && go(); t = pending.shift()) {
        if (!o.tableLoaded) return;
        if (!executor) {
          executor = await o.openExecutor();
          await tuneMaintenanceSession(executor);
        }
        const table = t;
        const session = executor;
        let keyed = false;
        const built = await o.tableLoaded(source, table, session, {
          continueWhile: go,
          running: builder.running,
          keyed: async () => {
            if (keyed) return;
            keyed = true;
            await builder.keyed(table, session);
          },
        });
        if (!keyed) await builder.keyed(table, session);
        if (built > 0) o.log(messages.dbCopy.tableIndexesBuilt(tableKey(t), built));
      }
    } catch (error) {
      o.log(messages.dbCopy.earlyBuildFailed(reason(error)));
      pending.length = 0;
      builder.abandoned();
    } finally {
      running = undefined;
    }
  };
  return builder;
}
