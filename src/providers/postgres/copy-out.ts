import type { Readable } from 'node:stream';
import type { Client } from 'pg';
import { type TableInfo, tableSql } from './catalog.js';
import { relayOutOf } from './copy-relay.js';
import { type KeyRange, rangePredicate, writableColumns } from './ranges.js';
import { quoteIdent } from './sql-text.js';

// Reading one key range under the worker's snapshot: as a COPY stream (binary when the column types
// are portable, text otherwise) for direct targets, or as batches of text values for the INSERT path.

export type CopyFormat = 'binary' | 'text';

export const copyFormat = (table: TableInfo): CopyFormat => (table.binarySafe ? 'binary' : 'text');

export function copyOptions(format: CopyFormat): string {
  return format === 'binary' ? '(FORMAT binary)' : '(FORMAT text)';
}

export function selectRange(
  table: TableInfo,
  range: KeyRange,
  columnSql: (name: string) => string = quoteIdent,
): string {
  const cols = writableColumns(table)
    .map((c) => columnSql(c.name))
    .join(', ');
  return `SELECT ${cols} FROM ${tableSql(table)} WHERE ${rangePredicate(table, range)}`;
}

/**
 * The rows of `range` as CopyData messages still framed, for loadRangeByCopy on a direct target (see
 * copy-relay.ts): no per-row work in this process.
 */
export function relayOut(client: Client, table: TableInfo, range: KeyRange, format: CopyFormat): Readable {
  return client.query(relayOutOf(`COPY (${selectRange(table, range)}) TO STDOUT ${copyOptions(format)}`));
}

/** Rows of `range` in text form, `batchRows` at a time, through a server-side cursor (memory: one batch). */
export async function* readRangeText(
  client: Client,
  table: TableInfo,
  range: KeyRange,
  batchRows: number,
): AsyncGenerator<(string | null)[][]> {
  const cursor = `engify_c_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await client.query(
    `DECLARE ${cursor} NO SCROLL CURSOR FOR ${selectRange(table, range, (c) => `${quoteIdent(c)}::text`)}`,
  );
  try {
    for (;;) {
      const result = await client.query<(string | null)[]>({
        text: `FETCH ${batchRows} FROM ${cursor}`,
        rowMode: 'array',
      });
      if (result.rows.length === 0) return;
      yield result.rows;
    }
  } finally {
    await client.query(`CLOSE ${cursor}`).catch(() => undefined);
  }
}
