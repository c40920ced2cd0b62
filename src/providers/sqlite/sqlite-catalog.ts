import type { Database } from 'better-sqlite3';

// What a SQLite database file declares, read from its own catalog (sqlite_schema and the table_xinfo,
// foreign_key_list, index_list/index_xinfo pragmas), plus the facts about the stored values that the
// type mapping needs: SQLite types are per value, not per column (https://www.sqlite.org/datatype3.html).

export interface SqliteColumn {
  name: string;
  /** The declared type as written ('' when none). */
  declared: string;
  notNull: boolean;
  /** The default expression as written, or null. */
  default: string | null;
  /** Position in the primary key (1-based), 0 when not part of it. */
  pk: number;
  /** 2: generated virtual, 3: generated stored (table_xinfo.hidden). */
  generated: boolean;
}

export interface SqliteForeignKey {
  /** Referenced table. */
  table: string;
  from: string[];
  /** Referenced columns; null when the REFERENCES clause names none (the parent's primary key). */
  to: (string | null)[];
  onUpdate: string;
  onDelete: string;
}

export interface SqliteIndex {
  name: string;
  unique: boolean;
  /** c: CREATE INDEX, u: a UNIQUE constraint, pk: the primary key. */
  origin: string;
  partial: boolean;
  /** Key columns in order; null for an expression. */
  columns: (string | null)[];
  descending: boolean[];
  collations: string[];
}

export interface SqliteTable {
  name: string;
  sql: string;
  withoutRowid: boolean;
  autoincrement: boolean;
  columns: SqliteColumn[];
  foreignKeys: SqliteForeignKey[];
  indexes: SqliteIndex[];
  /** Exact row count. */
  rows: number;
  /** Bytes of its b-tree pages (dbstat). */
  bytes: number;
}

export interface SqliteCatalog {
  tables: SqliteTable[];
  views: { name: string; sql: string }[];
  triggers: { name: string; table: string }[];
  /** sqlite_sequence: the AUTOINCREMENT counters. */
  counters: Map<string, bigint>;
  /** PRAGMA foreign_key_check: violating rows per "child.fkid". */
  violations: Map<string, number>;
  pageSize: number;
}

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

export function readSqliteCatalog(db: Database): SqliteCatalog {
  const objects = db
    .prepare(
      `SELECT type, name, tbl_name, sql FROM sqlite_schema
        WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid`,
    )
    .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  const list = db.prepare('PRAGMA table_list').all() as {
    schema: string;
    name: string;
    type: string;
    wr: number;
  }[];
  const withoutRowid = new Set(list.filter((t) => t.schema === 'main' && t.wr === 1).map((t) => t.name));
  const bytes = new Map<string, number>();
  try {
    for (const r of db.prepare('SELECT name, sum(pgsize) AS b FROM dbstat GROUP BY name').all() as {
      name: string;
      b: number;
    }[])
      bytes.set(r.name, Number(r.b));
  } catch {
    // dbstat is a compile-time option: without it, sizes are estimated from the row count below.
  }
  const counters = new Map<string, bigint>();
  if (db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get())
    for (const r of db.prepare('SELECT name, seq FROM sqlite_sequence').safeIntegers(true).all() as {
      name: string;
      seq: bigint;
    }[])
      counters.set(r.name, BigInt(r.seq));
  const violations = new Map<string, number>();
  for (const r of db.prepare('PRAGMA foreign_key_check').all() as { table: string; fkid: number }[])
    violations.set(`${r.table}.${r.fkid}`, (violations.get(`${r.table}.${r.fkid}`) ?? 0) + 1);

  const tables: SqliteTable[] = [];
  for (const o of objects.filter((x) => x.type === 'table')) {
    const q = `"${o.name.replaceAll('"', '""')}"`;
    const columns = (
      db.prepare(`PRAGMA table_xinfo(${q})`).all() as {
        name: string;
        type: string;
        notnull: number;
        dflt_value: string | null;
        pk: number;
        hidden: number;
      }[]
    )
      .filter((c) => c.hidden !== 1)
      .map((c) => ({
        name: c.name,
        declared: str(c.type),
        notNull: c.notnull === 1,
        default: c.dflt_value,
        pk: c.pk,
        generated: c.hidden === 2 || c.hidden === 3,
      }));
    const fkRows = db.prepare(`PRAGMA foreign_key_list(${q})`).all() as {
      id: number;
      seq: number;
      table: string;
      from: string;
      to: string | null;
      on_update: string;
      on_delete: string;
    }[];
    const foreignKeys: SqliteForeignKey[] = [];
    for (const r of fkRows) {
      let fk = foreignKeys[r.id];
      if (!fk) {
        fk = { table: r.table, from: [], to: [], onUpdate: r.on_update, onDelete: r.on_delete };
        foreignKeys[r.id] = fk;
      }
      fk.from[r.seq] = r.from;
      fk.to[r.seq] = r.to;
    }
    const indexes: SqliteIndex[] = [];
    for (const i of db.prepare(`PRAGMA index_list(${q})`).all() as {
      name: string;
      unique: number;
      origin: string;
      partial: number;
    }[]) {
      const cols = (
        db.prepare(`PRAGMA index_xinfo("${i.name.replaceAll('"', '""')}")`).all() as {
          seqno: number;
          cid: number;
          name: string | null;
          desc: number;
          coll: string;
          key: number;
        }[]
      ).filter((c) => c.key === 1);
      indexes.push({
        name: i.name,
        unique: i.unique === 1,
        origin: i.origin,
        partial: i.partial === 1,
        columns: cols.map((c) => (c.cid === -2 ? null : c.name)),
        descending: cols.map((c) => c.desc === 1),
        collations: cols.map((c) => c.coll),
      });
    }
    const rows = Number((db.prepare(`SELECT count(*) AS n FROM ${q}`).get() as { n: number }).n);
    tables.push({
      name: o.name,
      sql: o.sql ?? '',
      withoutRowid: withoutRowid.has(o.name),
      autoincrement: /\bAUTOINCREMENT\b/i.test(o.sql ?? ''),
      columns,
      foreignKeys: foreignKeys.filter(Boolean),
      indexes,
      rows,
      bytes: bytes.get(o.name) ?? rows * 64,
    });
  }
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  return {
    tables,
    views: objects.filter((x) => x.type === 'view').map((v) => ({ name: v.name, sql: v.sql ?? '' })),
    triggers: objects.filter((x) => x.type === 'trigger').map((t) => ({ name: t.name, table: t.tbl_name })),
    counters,
    violations,
    pageSize,
  };
}

/** How a column's stored values are spread over SQLite's storage classes, with integer bounds and text length. */
export interface ValueProfile {
  integer: number;
  real: number;
  text: number;
  blob: number;
  minInt: bigint | null;
  maxInt: bigint | null;
  maxLength: number;
}

/** Every column's profile in one scan of the table (a scan per column was most of a plan's time). */
export function profileTable(
  db: Database,
  table: string,
  columns: { name: string; bounds: boolean; length: boolean }[],
): Map<string, ValueProfile> {
  const t = `"${table.replaceAll('"', '""')}"`;
  // Integer bounds and text length only where the mapping reads them: each aggregate is work per row.
  const parts = columns.flatMap(({ name, bounds, length }, n) => {
    const c = `"${name.replaceAll('"', '""')}"`;
    return [
      `sum(typeof(${c}) = 'integer') AS i${n}`,
      `sum(typeof(${c}) = 'real') AS r${n}`,
      `sum(typeof(${c}) = 'text') AS t${n}`,
      `sum(typeof(${c}) = 'blob') AS b${n}`,
      ...(bounds
        ? [
            `min(CASE WHEN typeof(${c}) = 'integer' THEN ${c} END) AS lo${n}`,
            `max(CASE WHEN typeof(${c}) = 'integer' THEN ${c} END) AS hi${n}`,
          ]
        : []),
      ...(length ? [`max(CASE WHEN typeof(${c}) = 'text' THEN length(${c}) END) AS len${n}`] : []),
    ];
  });
  const out = new Map<string, ValueProfile>();
  if (columns.length === 0) return out;
  const r = db
    .prepare(`SELECT ${parts.join(', ')} FROM ${t}`)
    .safeIntegers(true)
    .get() as Record<string, bigint | null>;
  columns.forEach(({ name }, n) => {
    out.set(name, {
      integer: Number(r[`i${n}`] ?? 0),
      real: Number(r[`r${n}`] ?? 0),
      text: Number(r[`t${n}`] ?? 0),
      blob: Number(r[`b${n}`] ?? 0),
      minInt: r[`lo${n}`] ?? null,
      maxInt: r[`hi${n}`] ?? null,
      maxLength: Number(r[`len${n}`] ?? 0),
    });
  });
  return out;
}

/** Non-null values of a column that `accept` rejects (every row is read: a sample could miss one). */
export function countRejected(
  db: Database,
  table: string,
  column: string,
  accept: (v: unknown) => boolean,
): number {
  const t = `"${table.replaceAll('"', '""')}"`;
  const c = `"${column.replaceAll('"', '""')}"`;
  let rejected = 0;
  for (const row of db
    .prepare(`SELECT ${c} FROM ${t} WHERE ${c} IS NOT NULL`)
    .raw(true)
    .safeIntegers(true)
    .iterate()) {
    if (!accept((row as unknown[])[0])) rejected++;
  }
  return rejected;
}
