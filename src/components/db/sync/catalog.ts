import type { ClientBase } from 'pg';
import type { TableName } from '../../../core/sync-contracts.js';

// What the applier needs to know about a table on the side it writes to: its columns with their SQL
// types (values arrive as text or JSON and are cast to these), and its primary key (the upsert key).

export interface ColumnInfo {
  name: string;
  /** format_type() of the column, e.g. "character varying(40)"; safe to splice after `::`. */
  type: string;
  typeOid: number;
  /** GENERATED ALWAYS AS (...) STORED: never written, never sent by pgoutput. */
  generated: boolean;
}

export interface TableInfo {
  table: TableName;
  columns: ColumnInfo[];
  /** Writable columns (not generated), in table order. */
  writable: ColumnInfo[];
  primaryKey: string[];
  /** pg_class.relreplident: d(efault), n(othing), f(ull), i(ndex). */
  replicaIdentity: string;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(table: TableName): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

export function tableKey(table: TableName): string {
  return `${table.schema}.${table.name}`;
}

export async function loadTableInfo(client: ClientBase, table: TableName): Promise<TableInfo | undefined> {
  const rel = qualified(table);
  const cls = await client.query<{ relreplident: string }>(
    'SELECT relreplident::text AS relreplident FROM pg_class WHERE oid = to_regclass($1)',
    [rel],
  );
  if (cls.rowCount === 0) return undefined;
  const cols = await client.query<{ name: string; type: string; oid: number; generated: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.atttypid::int AS oid,
            a.attgenerated::text <> '' AS generated
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [rel],
  );
  const pk = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary
      ORDER BY k.ord`,
    [rel],
  );
  const columns = cols.rows.map((c) => ({
    name: c.name,
    type: c.type,
    typeOid: Number(c.oid),
    generated: c.generated,
  }));
  return {
    table,
    columns,
    writable: columns.filter((c) => !c.generated),
    primaryKey: pk.rows.map((r) => r.name),
    replicaIdentity: cls.rows[0]?.relreplident ?? 'd',
  };
}

/** Tables a publication covers, as the source sees them. */
export async function publicationTables(client: ClientBase, publication: string): Promise<TableName[]> {
  const res = await client.query<{ schemaname: string; tablename: string }>(
    'SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2',
    [publication],
  );
  return res.rows.map((r) => ({ schema: r.schemaname, name: r.tablename }));
}

/**
 * Column differences between what the source sends and the target table, as short phrases
 * ("column x only on the source"); empty when they match. Type oids are compared only for built-in
 * types: user types (enums, domains) have different oids in each database.
 */
export function columnDifferences(source: { name: string; typeOid?: number }[], target: TableInfo): string[] {
  const problems: string[] = [];
  const targetCols = new Map(target.writable.map((c) => [c.name, c]));
  const generated = new Set(target.columns.filter((c) => c.generated).map((c) => c.name));
  const seen = new Set<string>();
  for (const col of source) {
    if (generated.has(col.name)) continue;
    seen.add(col.name);
    const t = targetCols.get(col.name);
    if (!t) {
      problems.push(`column ${col.name} only on the source`);
      continue;
    }
    if (col.typeOid !== undefined && col.typeOid < 16384 && t.typeOid < 16384 && col.typeOid !== t.typeOid) {
      problems.push(`column ${col.name} changed type (target has ${t.type})`);
    }
  }
  for (const t of target.writable)
    if (!seen.has(t.name)) problems.push(`column ${t.name} only on the target`);
  return problems;
}
