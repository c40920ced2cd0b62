import type { Client } from 'pg';
import { CANONICAL_TEXT_SETTINGS, quoteIdent, quoteLiteral } from './sql-text.js';

// One consistent snapshot for the whole copy. Preferred: a replication connection creates the logical
// slot and exports its snapshot in the same command, so the rows copied under the snapshot and the
// changes the slot streams afterwards meet exactly at `consistentPoint` (no gap, no duplicate). The
// exporting connection must stay open and idle until every worker has imported the snapshot and
// finished; `release()` ends it.

export interface ExportedSnapshot {
  snapshotId: string;
  /** WAL position the snapshot corresponds to (the slot's consistent point when a slot was created). */
  lsn: string;
  slot?: string;
  release(): Promise<void>;
}

export type Connect = (options?: { replication?: boolean }) => Promise<Client>;

/** CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export') on a replication connection (PostgreSQL 15+ syntax). */
export async function createSlotWithSnapshot(connect: Connect, slot: string): Promise<ExportedSnapshot> {
  const client = await connect({ replication: true });
  try {
    const { rows } = await client.query<{
      slot_name: string;
      consistent_point: string;
      snapshot_name: string;
    }>(`CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput (SNAPSHOT 'export')`);
    const row = rows[0];
    if (!row?.snapshot_name) throw new Error('CREATE_REPLICATION_SLOT returned no snapshot');
    return {
      snapshotId: row.snapshot_name,
      lsn: row.consistent_point,
      slot: row.slot_name,
      release: () => client.end().catch(() => undefined),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** A snapshot without a slot: an open REPEATABLE READ transaction that exported it. */
export async function exportSnapshot(connect: Connect): Promise<ExportedSnapshot> {
  const client = await connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ id: string; lsn: string }>(
      'SELECT pg_export_snapshot() AS id, pg_current_wal_lsn()::text AS lsn',
    );
    const row = rows[0];
    if (!row) throw new Error('pg_export_snapshot() returned nothing');
    return { snapshotId: row.id, lsn: row.lsn, release: () => client.end().catch(() => undefined) };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** A worker connection reading under an exported snapshot, with value text normalised for both sides. */
export async function openSnapshotReader(connect: Connect, snapshotId: string): Promise<Client> {
  const client = await connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotId)}`);
    for (const setting of CANONICAL_TEXT_SETTINGS) await client.query(setting);
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

export interface SlotState {
  exists: boolean;
  /** The slot can no longer serve changes (WAL removed past it). */
  lost: boolean;
  confirmedFlush: string | null;
}

export async function slotState(client: Client, slot: string): Promise<SlotState> {
  const { rows } = await client.query<{ wal_status: string | null; confirmed_flush_lsn: string | null }>(
    'SELECT wal_status, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  const row = rows[0];
  if (!row) return { exists: false, lost: false, confirmedFlush: null };
  return { exists: true, lost: row.wal_status === 'lost', confirmedFlush: row.confirmed_flush_lsn };
}

export async function dropSlot(client: Client, slot: string): Promise<void> {
  await client.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
}

/** The publication pgoutput reads; created before the slot so decoding at its consistent point finds it. */
export async function ensurePublication(
  client: Client,
  name: string,
  tables: { schema: string; name: string }[],
): Promise<'created' | 'updated'> {
  const list = tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`).join(', ');
  if (tables.length === 0) throw new Error('no table has a primary key or replica identity to publish');
  const { rows } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
  if (rows.length > 0) {
    await client.query(`ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${list}`);
    return 'updated';
  }
  await client.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${list}`);
  return 'created';
}

export async function dropPublication(client: Client, name: string): Promise<void> {
  await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(name)}`);
}
