import type { Client } from 'pg';
import { messages } from '../../core/messages.js';
import type { SqlExecutor } from '../../core/sql-executor.js';
import type { Check, CheckPart } from '../../core/step.js';
import type { TableInfo } from '../../providers/postgres/catalog.js';
import { tableKey } from '../../providers/postgres/catalog.js';
import { checksumSql, type RangeChecksum } from '../../providers/postgres/checksum.js';
import { nextValue } from '../../providers/postgres/load/sequences.js';
import { type KeyRange, WHOLE_TABLE } from '../../providers/postgres/ranges.js';
import { CANONICAL_TEXT_SETTINGS, qualified } from '../../providers/postgres/sql-text.js';
import { postgresSession } from './dialects/postgres-dialect.js';
import type { SourceDialect, SourceSession } from './source-dialect.js';

// Parity of source and target, table by table and key range by key range: both sides compute a count
// and an order-independent row hash per range (see checksum.ts) and the check names every range that
// differs. Tables without a primary key are one whole-table range. Sequences must be at or past the
// source's next value. Never throws: anything that cannot be read becomes a failed check with a hint.

export interface VerifyOptions {
  /** The source as its dialect; when absent, the PostgreSQL source connectSource reaches. */
  source?: Pick<SourceDialect, 'open'>;
  connectSource?: () => Promise<Client>;
  target: SqlExecutor;
  schemas: string[];
  /** The ranges the copy used for a table (journal); the whole table otherwise. */
  rangesFor(table: TableInfo): KeyRange[] | undefined;
  /** Tables outside `schemas` the copy loaded too (the auth.users shim, with its copied columns only). */
  extraTables?(source: Client | undefined): Promise<TableInfo[]>;
  /** Foreign keys the copy attached before their table loaded: never validated on the target, so checked here. */
  attachedBeforeLoad?: { table: string; name: string }[];
}

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function targetChecksum(
  target: SqlExecutor,
  table: TableInfo,
  range: KeyRange,
): Promise<RangeChecksum> {
  return target.transaction(async (tx) => {
    for (const s of CANONICAL_TEXT_SETTINGS) await tx.query(s.replace(/^SET /, 'SET LOCAL '));
    const r = await tx.query(checksumSql(table, range));
    return { rows: String(r.rows[0]?.rows ?? '0'), hash: String(r.rows[0]?.hash ?? '0') };
  });
}

async function verifyTable(source: SourceSession, o: VerifyOptions, table: TableInfo): Promise<Check> {
  const key = tableKey(table);
  const noKey = table.primaryKey.length === 0;
  const name = noKey ? messages.dbCopy.checkRowsNoKey(key) : messages.dbCopy.checkRows(key);
  const ranges = noKey ? [WHOLE_TABLE] : (o.rangesFor(table) ?? [WHOLE_TABLE]);
  try {
    let sourceRows = 0n;
    let targetRows = 0n;
    const differ: string[] = [];
    const parts: CheckPart[] = [];
    for (const range of ranges) {
      const [s, t] = await Promise.all([
        source.checksum(table, range),
        targetChecksum(o.target, table, range),
      ]);
      sourceRows += BigInt(s.rows);
      targetRows += BigInt(t.rows);
      const label = messages.dbCopy.rangeLabel(range.index, range.lo, range.hi);
      const same = s.rows === t.rows && s.hash === t.hash;
      parts.push({ label, ok: same, detail: messages.dbCopy.rangePart(s, t) });
      if (!same) {
        differ.push(
          `${label}: source ${s.rows} row(s), target ${t.rows} row(s)${s.rows === t.rows ? ', contents differ' : ''}`,
        );
      }
    }
    return {
      name,
      expected: { rows: sourceRows.toString(), ranges: ranges.length, differing: [] },
      actual: { rows: targetRows.toString(), ranges: ranges.length, differing: differ },
      ok: differ.length === 0,
      parts,
      ...(differ.length > 0 ? { hint: messages.dbCopy.rangesDiffer(key, differ) } : {}),
    };
  } catch (error) {
    return {
      name,
      expected: 'readable on both sides',
      actual: reason(error),
      ok: false,
      hint: messages.dbCopy.tableMissing(key, reason(error)),
    };
  }
}

/**
 * Rows of the key's table whose non-null key columns match no row of the referenced table (MATCH SIMPLE),
 * counted on the target. The query text is built by the server from the catalog (quote_ident/format).
 */
async function verifyForeignKey(target: SqlExecutor, fk: { table: string; name: string }): Promise<Check> {
  const key = `${fk.table}.${fk.name}`;
  const name = messages.dbCopy.checkForeignKey(key);
  const [schema = 'public'] = fk.table.split('.', 1);
  const table = fk.table.slice(schema.length + 1);
  try {
    const r = await target.query(
      `SELECT format('%I.%I', n.nspname, c.relname) AS tbl, format('%I.%I', rn.nspname, rc.relname) AS ref,
              (SELECT string_agg(format('a.%I IS NOT NULL', a.attname), ' AND ' ORDER BY k.i)
                 FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS present,
              (SELECT string_agg(format('b.%I = a.%I', rf.attname, a.attname), ' AND ' ORDER BY k.i)
                 FROM unnest(con.conkey, con.confkey) WITH ORDINALITY k(attnum, refnum, i)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                 JOIN pg_catalog.pg_attribute rf ON rf.attrelid = con.confrelid AND rf.attnum = k.refnum) AS matches
         FROM pg_catalog.pg_constraint con
         JOIN pg_catalog.pg_class c ON c.oid = con.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE con.contype = 'f' AND n.nspname = $1 AND c.relname = $2 AND con.conname = $3`,
      [schema, table, fk.name],
    );
    const row = r.rows[0] as { tbl: string; ref: string; present: string; matches: string } | undefined;
    if (!row) {
      return {
        name,
        expected: 'present',
        actual: 'missing',
        ok: false,
        hint: messages.dbCopy.tableMissing(key, 'the foreign key is not on the target'),
      };
    }
    const orphans = await target.query(
      `SELECT count(*)::text AS n FROM ${row.tbl} a WHERE ${row.present} AND NOT EXISTS (SELECT 1 FROM ${row.ref} b WHERE ${row.matches})`,
    );
    const n = String(orphans.rows[0]?.n ?? '0');
    return {
      name,
      expected: { orphans: '0' },
      actual: { orphans: n },
      ok: n === '0',
      ...(n === '0' ? {} : { hint: messages.dbCopy.orphans(key, n) }),
    };
  } catch (error) {
    return {
      name,
      expected: { orphans: '0' },
      actual: reason(error),
      ok: false,
      hint: messages.dbCopy.tableMissing(key, reason(error)),
    };
  }
}

export async function verifyDatabase(o: VerifyOptions): Promise<Check[]> {
  let source: SourceSession;
  try {
    if (o.source) source = await o.source.open();
    else if (o.connectSource) source = postgresSession(await o.connectSource());
    else throw new Error('verifyDatabase needs a source or connectSource');
  } catch (error) {
    return [
      {
        name: 'db.copy source reachable',
        expected: true,
        actual: reason(error),
        ok: false,
        hint: messages.dbCopy.verifyFailedHint,
      },
    ];
  }
  const checks: Check[] = [];
  try {
    const tables = [...(await source.tables(o.schemas)), ...((await o.extraTables?.(source.pg)) ?? [])];
    for (const table of tables) checks.push(await verifyTable(source, o, table));
    for (const fk of o.attachedBeforeLoad ?? []) checks.push(await verifyForeignKey(o.target, fk));
    const values = await source.sequences(o.schemas);
    for (const v of values) {
      const name = messages.dbCopy.checkSequence(`${v.schema}.${v.name}`);
      if (v.lastValue === null) continue;
      const expected = nextValue(v.lastValue, v.isCalled);
      try {
        const r = await o.target.query(
          `SELECT last_value::text AS last_value, is_called FROM ${qualified(v.schema, v.name)}`,
        );
        const row = r.rows[0];
        const actual = row ? nextValue(String(row.last_value), row.is_called === true) : null;
        const ok = actual !== null && actual >= expected;
        checks.push({
          name,
          expected: `next value >= ${expected}`,
          actual: actual === null ? null : `next value ${actual}`,
          ok,
          ...(ok ? {} : { hint: messages.dbCopy.sequenceBehind(`${v.schema}.${v.name}`) }),
        });
      } catch (error) {
        checks.push({
          name,
          expected: `next value >= ${expected}`,
          actual: reason(error),
          ok: false,
          hint: messages.dbCopy.sequenceBehind(`${v.schema}.${v.name}`),
        });
      }
    }
  } catch (error) {
    checks.push({
      name: 'db.copy parity',
      expected: 'checks ran',
      actual: reason(error),
      ok: false,
      hint: messages.dbCopy.verifyFailedHint,
    });
  } finally {
    await source.close().catch(() => undefined);
  }
  return checks;
}
