import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { CANONICAL_TEXT_SETTINGS, qualified, quoteIdent } from './sql-text.js';

// A table's rows as a COPY text stream, and back: the data half of a logical dump written through the
// driver (no pg_dump, which embedded PostgreSQL packages do not ship). Text format, so a dump restores
// into any server version and any set of type OIDs. Rows stream: memory stays at the socket's buffers.

export interface DumpTable {
  schema: string;
  name: string;
  /** Columns in order (generated columns left out: the restored table computes them). */
  columns: string[];
}

const columnList = (t: DumpTable) => t.columns.map(quoteIdent).join(', ');

/** Every row of `table` under the client's current transaction (the dump's snapshot). */
export function copyTableOut(client: Client, table: DumpTable): Readable {
  return client.query(
    copyTo(
      `COPY (SELECT ${columnList(table)} FROM ${qualified(table.schema, table.name)}) TO STDOUT (FORMAT text)`,
    ),
  );
}

/** Loads a COPY text stream into `table`. */
export async function copyTableIn(client: Client, table: DumpTable, body: Readable): Promise<void> {
  const sink = client.query(
    copyFrom(`COPY ${qualified(table.schema, table.name)} (${columnList(table)}) FROM STDIN (FORMAT text)`),
  );
  await pipeline(body, sink);
}

/**
 * Opens the dump's snapshot on `client`: one REPEATABLE READ, READ ONLY transaction, so every table is
 * read as of the same instant. Returns that instant's WAL position and time.
 */
export async function beginDumpSnapshot(client: Client): Promise<{ lsn: string; at: string }> {
  await canonicalSession(client);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const { rows } = await client.query<{ lsn: string; at: Date }>(
    'SELECT pg_current_wal_lsn()::text AS lsn, now() AS at',
  );
  const row = rows[0];
  if (!row) throw new Error('pg_current_wal_lsn() returned nothing');
  return { lsn: row.lsn, at: row.at.toISOString() };
}

/** Tables of every user schema that hold at least one row (schema.name), for a restore's refusal. */
export async function tablesWithRows(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2`,
  );
  const out: string[] = [];
  for (const r of rows) {
    const probe = await client.query(`SELECT 1 FROM ${qualified(r.schema, r.name)} LIMIT 1`);
    if (probe.rows.length > 0) out.push(`${r.schema}.${r.name}`);
  }
  return out;
}

/** Value text as the dump writes it and a restore reads it (dates in UTC ISO, floats exact, bytea hex). */
export async function canonicalSession(client: Client): Promise<void> {
  for (const sql of CANONICAL_TEXT_SETTINGS) await client.query(sql);
}
