import type { Client } from 'pg';
import { type TableInfo, tableSql } from './catalog.js';
import { quoteIdent, quoteLiteral } from './sql-text.js';

// Key ranges over the leading primary-key column: lo inclusive, hi exclusive, null meaning unbounded,
// so the ranges of a table always cover every row whatever the boundaries (rows outside the sampled
// min/max still land in the first or last range). Bounds are kept as text and cast back to the key's
// type in SQL; collatable keys compare under "C" so the source, the target and every rerun agree on
// which rows a range holds.

export interface KeyRange {
  index: number;
  lo: string | null;
  hi: string | null;
}

export const WHOLE_TABLE: KeyRange = { index: 0, lo: null, hi: null };

export interface SplitOptions {
  splitBytes: number;
  maxRanges: number;
  /** Parallel copy workers. */
  jobs: number;
}

/** A key this well correlated with the physical row order scans only its own blocks per range. */
const ORDERED = 0.9;

/**
 * How many ranges a table is copied in: one per `splitBytes`, up to `maxRanges`. But when the key is
 * not in the rows' physical order (a random uuid; a text key, compared under "C" where the source's
 * index cannot serve the range), every range reads nearly the whole table on the source: twelve ranges
 * of a 400 MB uuid-keyed table read it twelve times and made the load ~40% slower than two. Such a table
 * is split only as far as parallelism needs, half the workers, leaving the rest to other tables.
 */
export function rangeCount(table: TableInfo, options: SplitOptions): number {
  if (table.primaryKey.length === 0) return 1;
  const bySize = Math.max(
    1,
    Math.min(options.maxRanges, Math.ceil(table.estimatedBytes / options.splitBytes)),
  );
  // Never analyzed: an integer key is most likely a serial or identity, in insertion order.
  const ordered =
    !table.keyCollatable &&
    (table.keyCorrelation === null ? table.keyKind === 'integer' : Math.abs(table.keyCorrelation) >= ORDERED);
  return ordered ? bySize : Math.min(bySize, Math.max(1, Math.ceil(options.jobs / 2)));
}

const keyExpr = (table: TableInfo): string => {
  const lead = table.primaryKey[0];
  if (lead === undefined) throw new Error(`${table.schema}.${table.name} has no primary key to split on`);
  return table.keyCollatable ? `${quoteIdent(lead)} COLLATE "C"` : quoteIdent(lead);
};

const literal = (table: TableInfo, value: string) => `${quoteLiteral(value)}::${table.keyType}`;

/** The WHERE condition of a range (TRUE for the whole table). */
export function rangePredicate(table: TableInfo, range: KeyRange): string {
  if (range.lo === null && range.hi === null) return 'TRUE';
  const key = keyExpr(table);
  const parts: string[] = [];
  if (range.lo !== null) parts.push(`${key} >= ${literal(table, range.lo)}`);
  if (range.hi !== null) parts.push(`${key} < ${literal(table, range.hi)}`);
  return parts.join(' AND ');
}

export function rangesFromBounds(bounds: string[]): KeyRange[] {
  const ranges: KeyRange[] = [];
  let lo: string | null = null;
  for (const b of bounds) {
    ranges.push({ index: ranges.length, lo, hi: b });
    lo = b;
  }
  ranges.push({ index: ranges.length, lo, hi: null });
  return ranges;
}

/** Splits a table under the caller's snapshot; small or key-less tables stay whole. */
export async function splitTable(
  client: Client,
  table: TableInfo,
  options: SplitOptions,
): Promise<KeyRange[]> {
  const n = rangeCount(table, options);
  if (n <= 1) return [WHOLE_TABLE];
  const key = keyExpr(table);
  if (table.keyKind === 'integer') {
    const { rows } = await client.query<{ lo: string | null; hi: string | null }>(
      `SELECT min(${key})::text AS lo, max(${key})::text AS hi FROM ${tableSql(table)}`,
    );
    const lo = rows[0]?.lo;
    const hi = rows[0]?.hi;
    if (lo == null || hi == null) return [WHOLE_TABLE];
    const min = BigInt(lo);
    const span = BigInt(hi) - min + 1n;
    const parts = span < BigInt(n) ? Number(span) : n;
    const width = (span + BigInt(parts) - 1n) / BigInt(parts);
    const bounds: string[] = [];
    for (let i = 1; i < parts; i++) bounds.push((min + width * BigInt(i)).toString());
    return rangesFromBounds(bounds);
  }
  // Anything else (uuid, text, ...): boundaries at quantiles of a block sample of at least 20,000 rows
  // (200 per range before: two ranges of a 1M-row table came out 45/55, and the load waited on the
  // larger one).
  const fractions = Array.from({ length: n - 1 }, (_, i) => (i + 1) / n);
  const sampleRows = Math.max(20_000, n * 200);
  const percent =
    table.estimatedRows > 0 ? Math.min(100, Math.max(0.01, (100 * sampleRows) / table.estimatedRows)) : 100;
  const { rows } = await client.query<{ b: string }>(
    `SELECT b::text AS b FROM unnest((
       SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY ${key})
         FROM ${tableSql(table)} TABLESAMPLE SYSTEM (${percent.toFixed(4)}))) AS b WHERE b IS NOT NULL`,
    [fractions],
  );
  const bounds: string[] = [];
  for (const r of rows) if (bounds.at(-1) !== r.b) bounds.push(r.b);
  return bounds.length === 0 ? [WHOLE_TABLE] : rangesFromBounds(bounds);
}

/** Columns the target is written with: generated columns are computed there. */
export const writableColumns = (table: TableInfo) => table.columns.filter((c) => !c.generated);
