import type { Client } from 'pg';

// What the connected role may do for a replication engine that reads this server from outside (AWS
// DMS): read the tables (a full load), and create a logical slot and decode it (change capture). Read
// from the catalog, never by trying: nothing is created on the source to find out.

export interface ReplicationRights {
  role: string;
  superuser: boolean;
  /** The REPLICATION attribute (CREATE ROLE ... REPLICATION). */
  replicationAttribute: boolean;
  /** Member of rds_replication / rds_superuser (RDS and Aurora grant replication this way). */
  rdsReplication: boolean;
  walLevel: string;
  /** Slots the server has room for (max_replication_slots minus those in use). */
  freeSlots: number;
  /**
   * pglogical is installed: DMS then decodes with it, else with test_decoding (contrib, shipped with
   * PostgreSQL, so not checked: reading the library folder would need superuser).
   */
  pglogical: boolean;
  /** Tables of the schemas the role cannot SELECT. */
  unreadable: string[];
}

export async function readReplicationRights(client: Client, schemas: string[]): Promise<ReplicationRights> {
  const { rows } = await client.query<{
    role: string;
    superuser: boolean;
    repl: boolean;
    rds: boolean;
    wal_level: string;
    free_slots: number;
    pglogical: boolean;
    unreadable: string[] | null;
  }>(
    `SELECT current_user AS role, r.rolsuper AS superuser, r.rolreplication AS repl,
            EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname IN ('rds_replication', 'rds_superuser')
                     AND pg_has_role(current_user, g.oid, 'member')) AS rds,
            current_setting('wal_level') AS wal_level,
            (current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots))::int AS free_slots,
            EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pglogical') AS pglogical,
            (SELECT array_agg(format('%s.%s', n.nspname, c.relname) ORDER BY 1)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
                AND NOT has_table_privilege(c.oid, 'SELECT')) AS unreadable
       FROM pg_roles r WHERE r.rolname = current_user`,
    [schemas],
  );
  const r = rows[0];
  if (!r) throw new Error('current_user has no pg_roles row');
  return {
    role: r.role,
    superuser: r.superuser,
    replicationAttribute: r.repl,
    rdsReplication: r.rds,
    walLevel: r.wal_level,
    freeSlots: r.free_slots,
    pglogical: r.pglogical,
    unreadable: r.unreadable ?? [],
  };
}

export interface ColumnKind {
  table: string;
  column: string;
  type: string;
  /** pg_type.typtype: b base, c composite, d domain, e enum, r range, m multirange, p pseudo. */
  typtype: string;
  /** The base type's name for a domain, else the type's own (what a replication engine maps). */
  baseType: string;
}

/** Every column of the schemas' tables with its type's kind, for engines that map types by kind. */
export async function readColumnKinds(client: Client, schemas: string[]): Promise<ColumnKind[]> {
  const { rows } = await client.query<{
    tbl: string;
    col: string;
    type: string;
    typtype: string;
    base: string;
  }>(
    `SELECT format('%s.%s', n.nspname, c.relname) AS tbl, a.attname AS col,
            format_type(a.atttypid, a.atttypmod) AS type, t.typtype::text AS typtype,
            format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, NULL) AS base
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
      WHERE c.relkind = 'r' AND n.nspname = ANY($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY 1, a.attnum`,
    [schemas],
  );
  return rows.map((r) => ({
    table: r.tbl,
    column: r.col,
    type: r.type,
    typtype: r.typtype,
    baseType: r.base,
  }));
}
