import type { ClientBase } from 'pg';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { TableName } from '../../../core/sync-contracts.js';
import type { Applier } from './applier.js';
import { loadTableInfo, publicationTables, qualified } from './catalog.js';

// Checks made before a stream starts, so a sync that cannot be exact refuses up front with the reason
// instead of failing on the first update of a table it cannot match.

export function noKeyError(tables: TableName[]): EngifyError {
  const names = tables.map(qualified);
  return new EngifyError({
    code: 'SYNC_NO_PRIMARY_KEY',
    kind: 'config',
    message: messages.sync.noPrimaryKey(names),
    hint: messages.sync.noPrimaryKeyHint(names),
  });
}

/** Tables without a primary key and without REPLICA IDENTITY FULL, among `tables` on the source. */
export async function checkKeys(source: ClientBase, tables: TableName[]): Promise<void> {
  const refused: TableName[] = [];
  for (const table of tables) {
    const info = await loadTableInfo(source, table);
    if (info && info.primaryKey.length === 0 && info.replicaIdentity !== 'f') refused.push(table);
  }
  if (refused.length > 0) throw noKeyError(refused);
}

/** Every captured table exists on the applying side with the same columns. */
export async function checkTargetTables(
  source: ClientBase,
  applier: Applier,
  tables: TableName[],
): Promise<void> {
  for (const table of tables) {
    const info = await loadTableInfo(source, table);
    if (!info) continue;
    await applier.checkColumns(
      table,
      info.writable.map((c) => ({ name: c.name, typeOid: c.typeOid })),
    );
  }
}

export async function checkLogicalSource(
  source: ClientBase,
  slot: string,
  publication: string,
  host: string,
): Promise<{ tables: TableName[]; activePid?: number }> {
  const slots = await source.query<{ active_pid: number | null; plugin: string | null }>(
    'SELECT active_pid, plugin FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()',
    [slot],
  );
  const found = slots.rows[0];
  if (!found) {
    throw new EngifyError({
      code: 'SYNC_SLOT_MISSING',
      kind: 'config',
      message: messages.sync.slotMissing(slot, host),
      hint: messages.sync.slotMissingHint,
    });
  }
  const pub = await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (pub.rowCount === 0) {
    throw new EngifyError({
      code: 'SYNC_PUBLICATION_MISSING',
      kind: 'config',
      message: messages.sync.publicationMissing(publication, host),
      hint: messages.sync.publicationMissingHint,
    });
  }
  const tables = await publicationTables(source, publication);
  await checkKeys(source, tables);
  return { tables, activePid: found.active_pid ?? undefined };
}

/** Where logical decoding can be used on this server, and if not, why. */
export async function detectLogical(source: ClientBase): Promise<{ ok: boolean; reason?: string }> {
  try {
    const level = await source.query<{ wal_level: string }>('SHOW wal_level');
    if (level.rows[0]?.wal_level !== 'logical')
      return { ok: false, reason: `wal_level is ${level.rows[0]?.wal_level}` };
    const role = await source.query<{ ok: boolean }>(
      `SELECT rolreplication OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user`,
    );
    // RDS grants replication through the rds_replication role rather than the attribute.
    const rds = await source.query<{ ok: boolean }>(
      `SELECT pg_has_role(current_user, 'rds_replication', 'member') AS ok WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication')`,
    );
    if (!role.rows[0]?.ok && !rds.rows[0]?.ok)
      return { ok: false, reason: 'the user has no REPLICATION privilege' };
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
