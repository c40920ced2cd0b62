import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { type TableInfo, tableSql } from '../catalog.js';
import { type CopyFormat, copyOptions } from '../copy-out.js';
import { relayInto } from '../copy-relay.js';
import { type KeyRange, rangePredicate, writableColumns } from '../ranges.js';
import { quoteIdent } from '../sql-text.js';

// Loads one key range from a COPY stream in one target transaction. A range that may hold rows already
// (a retry after a failure around COMMIT) is deleted first in the same transaction, so a replay ends
// with exactly the source's rows; a range known to be empty is not, because keys are built after the
// load and that delete would scan the whole table. The stream is piped: memory holds a few socket
// buffers.

/** Target sessions load with triggers and FK enforcement off (the source already enforced them). */
export async function prepareLoadSession(client: Client): Promise<void> {
  await client.query('SET session_replication_role = replica');
}

export async function loadRangeByCopy(
  client: Client,
  table: TableInfo,
  range: KeyRange,
  /** CopyData messages as relayOut() reads them from the source. */
  rows: Readable,
  format: CopyFormat,
  options: { clear: boolean },
): Promise<number> {
  const cols = writableColumns(table)
    .map((c) => quoteIdent(c.name))
    .join(', ');
  await client.query('BEGIN');
  try {
    if (options.clear)
      await client.query(`DELETE FROM ${tableSql(table)} WHERE ${rangePredicate(table, range)}`);
    const sink = client.query(
      relayInto(`COPY ${tableSql(table)} (${cols}) FROM STDIN ${copyOptions(format)}`),
    );
    await pipeline(rows, sink);
    await client.query('COMMIT');
    return sink.rowCount;
  } catch (error) {
    rows.destroy();
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
