import type { Client } from 'pg';
import { qualified } from './sql-text.js';

// What copying needs to know about the source tables: columns in order (and which ones are generated,
// since COPY FROM cannot write those), the primary key, size estimates for splitting, and whether the
// binary COPY format is safe (it embeds type OIDs for arrays and records of user types, which differ
// between two clusters).

export interface ColumnInfo {
  name: string;
  /** format_type() with typmod, usable in a cast. */
  type: string;
  /** Stored generated column: read for checksums, never written. */
  generated: boolean;
  /** GENERATED ALWAYS AS IDENTITY: INSERT needs OVERRIDING SYSTEM VALUE. */
  identityAlways: boolean;
}

export type KeyKind = 'integer' | 'other';

export interface TableInfo {
  schema: string;
  name: string;
  columns: ColumnInfo[];
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
  /** How the leading key column splits: integers by min/max, anything else by sampled boundaries. */
  keyKind: KeyKind | null;
  /** Type of the leading key column (for typed range literals). */
  keyType: string | null;
  /** The leading key column has a collation: ranges compare it under "C" so both sides agree. */
  keyCollatable: boolean;
  estimatedRows: number;
  estimatedBytes: number;
  /**
   * pg_stats correlation of the leading key column with the rows' physical order (-1..1), null when
   * unknown (never analyzed). Near ±1 a key range reads only its own part of the table.
   */
  keyCorrelation: number | null;
  /** Every column type is built in (OID < 16384, arrays included): binary COPY is portable. */
  binarySafe: boolean;
  /**
   * UPDATE/DELETE can be published: a table in a publication without a replica identity refuses them,
   * so tables without one are kept out of the publication (they would break the live app).
   */
  publishable: boolean;
}

export interface SequenceInfo {
  schema: string;
  name: string;
}

export const tableKey = (t: Pick<TableInfo, 'schema' | 'name'>) => `${t.schema}.${t.name}`;
export const tableSql = (t: Pick<TableInfo, 'schema' | 'name'>) => qualified(t.schema, t.name);

const FIRST_USER_OID = 16384;
const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

interface TableRow {
  schema: string;
  name: string;
  est_rows: string;
  est_bytes: string;
  replident: string;
  columns: {
    name: string;
    type: string;
    generated: boolean;
    identity_always: boolean;
    type_oid: number;
    elem_oid: number;
    collatable: boolean;
  }[];
  pk: string[] | null;
  key_correlation: number | null;
}

/** Ordinary and partitioned-leaf tables of `schemas` (partition parents hold no rows of their own). */
export async function readTables(client: Client, schemas: string[]): Promise<TableInfo[]> {
  const { rows } = await client.query<TableRow>(
    `SELECT n.nspname AS schema, c.relname AS name,
            greatest(c.reltuples, 0)::bigint::text AS est_rows,
            -- pg_table_size counts the files as they are now; relpages is what the last VACUUM or
            -- ANALYZE saw. The files only grow between the two, so the larger is the size; taking it
            -- also lets a test stand a hand-set relpages in for a table too large to build.
            greatest(pg_table_size(c.oid), c.relpages::bigint * current_setting('block_size')::bigint)::text AS est_bytes,
            c.relreplident::text AS replident,
            (SELECT json_agg(json_build_object(
                      'name', a.attname,
                      'type', format_type(a.atttypid, a.atttypmod),
                      'generated', a.attgenerated <> '',
                      'identity_always', a.attidentity = 'a',
                      'type_oid', a.atttypid::int,
                      'elem_oid', coalesce(nullif(t.typelem, 0), a.atttypid)::int,
                      'collatable', a.attcollation <> 0) ORDER BY a.attnum)
               FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
            (SELECT array_agg(a.attname::text ORDER BY k.ord)
               FROM pg_constraint con
               CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
              WHERE con.conrelid = c.oid AND con.contype = 'p') AS pk,
            (SELECT s.correlation FROM pg_stats s
               JOIN pg_constraint con ON con.conrelid = c.oid AND con.contype = 'p'
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = con.conkey[1]
              WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
                AND NOT s.inherited) AS key_correlation
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname = ANY($1::text[])
      ORDER BY n.nspname, c.relname`,
    [schemas],
  );
  return rows.map((r) => {
    const columns = r.columns ?? [];
    const primaryKey = r.pk ?? [];
    const lead = columns.find((c) => c.name === primaryKey[0]);
    return {
      schema: r.schema,
      name: r.name,
      columns: columns.map((c) => ({
        name: c.name,
        type: c.type,
        generated: c.generated,
        identityAlways: c.identity_always,
      })),
      primaryKey,
      keyKind: lead ? (INTEGER_TYPES.has(lead.type) ? 'integer' : 'other') : null,
      keyType: lead ? lead.type : null,
      keyCollatable: lead?.collatable ?? false,
      estimatedRows: Number(r.est_rows),
      estimatedBytes: Number(r.est_bytes),
      keyCorrelation: r.key_correlation === null ? null : Number(r.key_correlation),
      publishable:
        r.replident === 'f' || r.replident === 'i' || (r.replident === 'd' && primaryKey.length > 0),
      binarySafe: columns.every((c) => c.type_oid < FIRST_USER_OID && c.elem_oid < FIRST_USER_OID),
    };
  });
}

/** Sequences of `schemas` (owned by a column or free-standing). */
export async function readSequences(client: Client, schemas: string[]): Promise<SequenceInfo[]> {
  const { rows } = await client.query<SequenceInfo>(
    `SELECT schemaname AS schema, sequencename AS name FROM pg_sequences
      WHERE schemaname = ANY($1::text[]) ORDER BY 1, 2`,
    [schemas],
  );
  return rows;
}

export interface SequenceValue extends SequenceInfo {
  lastValue: string | null;
  isCalled: boolean;
}

/**
 * Current values, read outside the snapshot on purpose: sequences are not transactional, and a value
 * read after the copy is at or past every value the copied rows can hold, which is what the target needs.
 */
export async function readSequenceValues(
  client: Client,
  sequences: SequenceInfo[],
): Promise<SequenceValue[]> {
  const out: SequenceValue[] = [];
  for (const s of sequences) {
    const { rows } = await client.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text, is_called FROM ${qualified(s.schema, s.name)}`,
    );
    out.push({ ...s, lastValue: rows[0]?.last_value ?? null, isCalled: rows[0]?.is_called ?? false });
  }
  return out;
}

/** Bytes of the indexes on the tables of `schemas` (the target rebuilds them after the load). */
export async function readIndexBytes(client: Client, schemas: string[]): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>(
    `SELECT coalesce(sum(pg_indexes_size(c.oid)), 0)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'm')`,
    [schemas],
  );
  return Number(rows[0]?.bytes ?? 0);
}
