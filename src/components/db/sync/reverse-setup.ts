import type { ClientBase } from 'pg';
import type { TableName } from '../../../core/sync-contracts.js';
import { qualified, quoteIdent } from './catalog.js';

// Reverse sync captures on the target database after cutover. Its publication and slot are made at
// cutover, while the component is `draining` (nothing writes to either side), so the slot's start is a
// point where target and source are equal. Writes forward sync applied carry the forward replication
// origin and are filtered out of this stream, so nothing is echoed back to the source.

export interface ReverseCapture {
  slot: string;
  publication: string;
  /** True when this call created the slot (cutover journals it so rollback can drop what it made). */
  createdSlot: boolean;
  createdPublication: boolean;
}

export async function prepareReverseCapture(
  target: ClientBase,
  tables: TableName[],
  names: { slot?: string; publication?: string } = {},
): Promise<ReverseCapture> {
  const slot = names.slot ?? 'engify_reverse';
  const publication = names.publication ?? 'engify_reverse';
  let createdPublication = false;
  const pub = await target.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (pub.rowCount === 0) {
    await target.query(
      `CREATE PUBLICATION ${quoteIdent(publication)} FOR TABLE ${tables.map(qualified).join(', ')}`,
    );
    createdPublication = true;
  }
  let createdSlot = false;
  const existing = await target.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  if (existing.rowCount === 0) {
    await target.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
    createdSlot = true;
  }
  return { slot, publication, createdSlot, createdPublication };
}

/** Drops the reverse slot and publication (cutover.done), so the target stops retaining WAL for them. */
export async function dropReverseCapture(
  target: ClientBase,
  names: { slot: string; publication: string },
): Promise<void> {
  await target.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
    [names.slot],
  );
  await target.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(names.publication)}`);
}
