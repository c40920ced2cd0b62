import type { SqlExecutor, SqlValue } from '../../../core/sql-executor.js';
import { type TableInfo, tableSql } from '../catalog.js';
import { type KeyRange, rangePredicate, writableColumns } from '../ranges.js';
import { quoteIdent } from '../sql-text.js';

// The load path for targets without COPY (RDS Data API): rows arrive in text form and go out as one
// parameterised INSERT with many parameter sets, each value cast back to its column type. A batch is
// cut at `batchRows` or before the request would pass ~80% of the transport's byte limit. Like the COPY
// path, the range is deleted first in the same transaction, so a replay duplicates nothing.

const PER_VALUE_OVERHEAD = 48; // JSON framing of one typed parameter in a Data API request

export function insertSql(table: TableInfo): string {
  const cols = writableColumns(table);
  const names = cols.map((c) => quoteIdent(c.name)).join(', ');
  const values = cols.map((c, i) => `$${i + 1}::${c.type}`).join(', ');
  const overriding = cols.some((c) => c.identityAlways) ? ' OVERRIDING SYSTEM VALUE' : '';
  return `INSERT INTO ${tableSql(table)} (${names})${overriding} VALUES (${values})`;
}

export async function loadRangeByInsert(
  executor: SqlExecutor,
  table: TableInfo,
  range: KeyRange,
  batches: AsyncIterable<(string | null)[][]>,
  /** clear: the range may hold rows already (see copy-in.ts), delete them in the same transaction. */
  options: { batchRows: number; clear: boolean },
): Promise<number> {
  const sql = insertSql(table);
  const budget = Math.floor((executor.capabilities.maxRequestBytes ?? 16 * 1024 * 1024) * 0.8) - sql.length;
  return executor.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    if (options.clear) await tx.query(`DELETE FROM ${tableSql(table)} WHERE ${rangePredicate(table, range)}`);
    let written = 0;
    let sets: SqlValue[][] = [];
    let bytes = 0;
    const flush = async () => {
      if (sets.length === 0) return;
      await tx.batch(sql, sets);
      written += sets.length;
      sets = [];
      bytes = 0;
    };
    for await (const rows of batches) {
      for (const row of rows) {
        const size = row.reduce(
          (n, v) => n + PER_VALUE_OVERHEAD + (v === null ? 0 : Buffer.byteLength(v)),
          0,
        );
        if (size > budget) {
          throw new Error(
            `a row of ${tableSql(table)} needs ${size} bytes, over the request limit of the target`,
          );
        }
        if (sets.length >= options.batchRows || bytes + size > budget) await flush();
        sets.push(row);
        bytes += size;
      }
    }
    await flush();
    return written;
  });
}
