import type { ClientBase } from 'pg';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { RowChange, RowValues, TableName } from '../../../core/sync-contracts.js';
import type { Applier } from './applier.js';
import { qualified } from './catalog.js';
import { recordApplied, type SessionState } from './session-state.js';

// Change capture where logical decoding is unavailable (no REPLICATION privilege, PGlite): AFTER row
// triggers write every change into engify.changelog on the source, and the reader applies it.
//
// Changelog ids are taken when a row is written, not when its transaction commits, so "everything
// after id N" would miss a long transaction that took id N-1 and committed later. The reader therefore
// moves between transaction snapshots (as PgQ does): a window holds the rows of transactions visible in
// snapshot `cur` but not in `prev`, read in id order (rows of one key are in commit order, because a
// second writer of a row waits for the first to commit before it writes its changelog row). The
// position {prev, cur, after} is stored on the target with the applied rows, so it is exact.

export interface TriggerPosition {
  /** pg_snapshot text: every transaction visible in it is applied. */
  prev: string;
  /** pg_snapshot text of the window being applied, if one is open. */
  cur?: string;
  /** Last changelog id applied within the open window. */
  after?: string;
}

export function encodeTriggerPosition(position: TriggerPosition): string {
  return JSON.stringify(position);
}

export function decodeTriggerPosition(text: string): TriggerPosition {
  const parsed = JSON.parse(text) as TriggerPosition;
  if (typeof parsed.prev !== 'string') throw new Error(`not a trigger-capture position: ${text}`);
  return parsed;
}

const CAPTURE_FUNCTION = `CREATE OR REPLACE FUNCTION engify.capture_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO engify.changelog (table_schema, table_name, op) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, 'T');
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO engify.changelog (table_schema, table_name, op, new_row) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, 'I', to_jsonb(NEW));
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO engify.changelog (table_schema, table_name, op, old_row, new_row) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, 'U', to_jsonb(OLD), to_jsonb(NEW));
  ELSE
    INSERT INTO engify.changelog (table_schema, table_name, op, old_row) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, 'D', to_jsonb(OLD));
  END IF;
  RETURN NULL;
END
$fn$`;

/**
 * Installs the changelog and the triggers on `tables` (idempotent). Run it BEFORE the snapshot of the
 * initial copy is taken: CREATE TRIGGER waits for writers in flight on each table, so every transaction
 * not visible in that snapshot is captured.
 */
export async function installTriggerCapture(source: ClientBase, tables: TableName[]): Promise<void> {
  await source.query('BEGIN');
  try {
    await source.query('CREATE SCHEMA IF NOT EXISTS engify');
    await source.query(`CREATE TABLE IF NOT EXISTS engify.changelog (
      id bigserial PRIMARY KEY,
      xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      table_schema text NOT NULL,
      table_name text NOT NULL,
      op char(1) NOT NULL,
      old_row jsonb,
      new_row jsonb,
      at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`);
    await source.query('CREATE INDEX IF NOT EXISTS changelog_xid_idx ON engify.changelog (xid)');
    await source.query(CAPTURE_FUNCTION);
    for (const table of tables) {
      const rel = qualified(table);
      await source.query(`DROP TRIGGER IF EXISTS engify_capture ON ${rel}`);
      await source.query(`DROP TRIGGER IF EXISTS engify_capture_truncate ON ${rel}`);
      await source.query(
        `CREATE TRIGGER engify_capture AFTER INSERT OR UPDATE OR DELETE ON ${rel} FOR EACH ROW EXECUTE FUNCTION engify.capture_change()`,
      );
      await source.query(
        `CREATE TRIGGER engify_capture_truncate AFTER TRUNCATE ON ${rel} FOR EACH STATEMENT EXECUTE FUNCTION engify.capture_change()`,
      );
    }
    await source.query('COMMIT');
  } catch (error) {
    await source.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Removes the triggers (never the changelog's history unless asked): used when sync is done. */
export async function removeTriggerCapture(source: ClientBase, tables: TableName[]): Promise<void> {
  for (const table of tables) {
    const rel = qualified(table);
    await source.query(`DROP TRIGGER IF EXISTS engify_capture ON ${rel}`);
    await source.query(`DROP TRIGGER IF EXISTS engify_capture_truncate ON ${rel}`);
  }
}

/** The snapshot to start a trigger stream from, taken now (use the copy's snapshot when there is one). */
export async function currentSnapshot(source: ClientBase): Promise<string> {
  const res = await source.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s');
  return res.rows[0]!.s;
}

export interface TriggerSessionOptions {
  source: ClientBase;
  applier: Applier;
  state: SessionState;
  stream: string;
  startPosition?: string;
  pageSize: number;
  pollMs: number;
}

interface ChangelogRow {
  id: string;
  table_schema: string;
  table_name: string;
  op: string;
  old_row: RowValues | null;
  new_row: RowValues | null;
  at: Date;
}

const WINDOW_FILTER = `xid >= pg_snapshot_xmin($1::pg_snapshot) AND xid < pg_snapshot_xmax($2::pg_snapshot)
  AND pg_visible_in_snapshot(xid, $2::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, $1::pg_snapshot)`;

export async function runTriggerSession(options: TriggerSessionOptions): Promise<void> {
  const { source, applier, state } = options;
  const stored = applier.position?.position ?? options.startPosition;
  if (!stored) {
    throw new EngifyError({
      code: 'SYNC_NO_START_POSITION',
      kind: 'config',
      message: messages.sync.noStartPosition(options.stream),
      hint: messages.sync.noStartPositionHint,
    });
  }
  let position = stored.startsWith('{') ? decodeTriggerPosition(stored) : { prev: stored };
  state.confirmed = encodeTriggerPosition(position);
  let commitTimes: Date[] = [];
  let batchChanges = 0;
  let lastPrune = 0;
  const checked = new Set<string>();

  const commit = async () => {
    if (!applier.dirty) return;
    const changes = applier.batchChanges;
    await applier.commit();
    state.confirmed = encodeTriggerPosition(position);
    state.pendingSince = undefined;
    recordApplied(state, commitTimes, changes);
    commitTimes = [];
    batchChanges = 0;
    if (Date.now() - lastPrune > 10_000) {
      lastPrune = Date.now();
      // Rows of transactions visible in `prev` are applied and committed on the target.
      await source.query('DELETE FROM engify.changelog WHERE xid < pg_snapshot_xmin($1::pg_snapshot)', [
        position.prev,
      ]);
    }
  };

  try {
    while (!state.stopRequested) {
      state.polls++;
      if (!position.cur) position = { prev: position.prev, cur: await currentSnapshot(source), after: '0' };
      const res = await source.query<ChangelogRow>(
        // ORDER BY c.id, not the text alias: ids compare as numbers.
        `SELECT c.id::text AS id, table_schema, table_name, op, old_row, new_row, at FROM engify.changelog AS c
          WHERE ${WINDOW_FILTER} AND c.id > $3::bigint ORDER BY c.id LIMIT ${Math.max(1, options.pageSize)}`,
        [position.prev, position.cur, position.after ?? '0'],
      );
      for (const row of res.rows) {
        const table = { schema: row.table_schema, name: row.table_name };
        const key = `${table.schema}.${table.name}`;
        const sample = row.new_row ?? row.old_row;
        if (sample && !checked.has(key)) {
          // to_jsonb(row) carries every column: a different key set is a schema change on the source.
          await applier.checkColumns(
            table,
            Object.keys(sample).map((name) => ({ name })),
          );
          checked.add(key);
        }
        state.pendingSince ??= row.at;
        batchChanges++;
        await applier.apply(toChange(row, table));
      }
      const last = res.rows[res.rows.length - 1];
      if (last) {
        position = { ...position, after: last.id };
        commitTimes.push(last.at);
      }
      const windowDone = res.rows.length < options.pageSize;
      if (windowDone) position = { prev: position.cur! };
      if (!last && !applier.dirty) {
        // An empty window: moving past it in memory only is exact (it holds nothing to apply).
        state.confirmed = encodeTriggerPosition(position);
      } else {
        const committed = await applier.endSourceTransaction(encodeTriggerPosition(position), last?.at);
        if (committed) {
          state.confirmed = encodeTriggerPosition(position);
          state.pendingSince = undefined;
          recordApplied(state, commitTimes, batchChanges);
          commitTimes = [];
          batchChanges = 0;
        }
      }
      if (windowDone && res.rows.length === 0) {
        await commit();
        await sleep(Math.min(options.pollMs, applier.msUntilDue()));
      } else if (windowDone && applier.msUntilDue() > 0) {
        await sleep(Math.min(options.pollMs, applier.msUntilDue()));
        if (applier.msUntilDue() === 0) await commit();
      }
    }
    await commit();
  } finally {
    if (applier.dirty) await applier.rollback();
  }
}

/** Committed changelog rows not yet applied (a change count for lag). */
export async function pendingTriggerRows(source: ClientBase, positionText: string): Promise<number> {
  const p = decodeTriggerPosition(positionText);
  const res = await source.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM engify.changelog
      WHERE xid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, $1::pg_snapshot)
        AND NOT ($2::pg_snapshot IS NOT NULL AND pg_visible_in_snapshot(xid, $2::pg_snapshot) AND id <= $3::bigint)`,
    [p.prev, p.cur ?? null, p.after ?? '0'],
  );
  return Number(res.rows[0]?.n ?? 0);
}

function toChange(row: ChangelogRow, table: TableName): RowChange {
  switch (row.op) {
    case 'I':
      return { op: 'insert', table, row: row.new_row ?? {} };
    case 'U':
      return { op: 'update', table, row: row.new_row ?? {}, old: row.old_row ?? undefined };
    case 'D':
      return { op: 'delete', table, old: row.old_row ?? {} };
    default:
      return { op: 'truncate', tables: [table], cascade: false };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(ms, 1000))));
}
