import { type TableInfo, tableSql } from './catalog.js';
import { type KeyRange, rangePredicate } from './ranges.js';
import { quoteIdent } from './sql-text.js';

// Parity checksums computed inside each database, so only two numbers per range cross the wire.
// Each row's text form (under CANONICAL_TEXT_SETTINGS) is hashed with md5 and the first 64 bits of the
// hashes are summed as numeric: order-independent (no sort, no memory on the server beyond the
// aggregate), so the same query serves key ranges and tables without a key. Row text includes the key,
// so a row swapped for another changes the sum; the count catches duplicates.

export interface RangeChecksum {
  rows: string;
  hash: string;
}

export function checksumSql(table: TableInfo, range: KeyRange): string {
  const row = `ROW(${table.columns.map((c) => quoteIdent(c.name)).join(', ')})::text`;
  return `SELECT count(*)::text AS rows,
                 coalesce(sum(('x' || left(md5(${row}), 16))::bit(64)::bigint::numeric), 0)::text AS hash
            FROM ${tableSql(table)} WHERE ${rangePredicate(table, range)}`;
}
