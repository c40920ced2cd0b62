import type { Client } from 'pg';
import type { Json } from '../../core/contracts.js';

// The id map on the target database: Supabase user id -> Cognito username/sub, so the app's foreign
// keys (which hold Supabase ids) keep resolving after the move. It also records what this tool
// created (rollback deletes only those users), and, for the lazy strategy, the legacy bcrypt hashes
// the migration Lambda checks (kept in the database, never in Cognito attributes).
// The tables live in our own `engify` schema so they never depend on the db step's translated schema.

export type IdMapStatus = 'intent' | 'migrated' | 'lazy';

export interface IdMapRow {
  supabaseId: string;
  email: string;
  cognitoUsername: string | null;
  cognitoSub: string | null;
  strategy: string;
  status: IdMapStatus;
  createdByTool: boolean;
  shadowRow: boolean;
  /** userDigest() of what was last written for this user; null when unknown (older rows, passes). */
  sourceDigest?: string | null;
}

export interface LegacyHashRow {
  email: string;
  supabaseId: string;
  passwordHash: string;
  attributes: Record<string, string>;
  enabled: boolean;
}

/** An id map row as auth.users and the sync passes write it; shadow_row is only ever set by the shadow writer. */
export function idMapRow(
  user: { supabaseId: string; email: string },
  strategy: string,
  status: IdMapStatus,
  username: string | null,
  sub: string | null | undefined,
  createdByTool: boolean,
): IdMapRow {
  return {
    supabaseId: user.supabaseId,
    email: user.email,
    cognitoUsername: username,
    cognitoSub: sub ?? null,
    strategy,
    status,
    createdByTool,
    shadowRow: false,
  };
}

export const ID_MAP_TABLE = 'engify.auth_id_map';
export const LEGACY_TABLE = 'engify.auth_legacy_hashes';

export class AuthIdMap {
  constructor(private readonly db: Client) {}

  async exists(): Promise<boolean> {
    const r = await this.db.query(`SELECT to_regclass('engify.auth_id_map') IS NOT NULL AS ok`);
    return r.rows[0]?.ok === true;
  }

  async legacyExists(): Promise<boolean> {
    const r = await this.db.query(`SELECT to_regclass('engify.auth_legacy_hashes') IS NOT NULL AS ok`);
    return r.rows[0]?.ok === true;
  }

  async ensure(): Promise<void> {
    await this.db.query(`CREATE SCHEMA IF NOT EXISTS engify`);
    await this.db.query(`CREATE TABLE IF NOT EXISTS engify.auth_id_map (
      supabase_id uuid PRIMARY KEY,
      email text NOT NULL,
      cognito_username text,
      cognito_sub text,
      strategy text NOT NULL,
      status text NOT NULL CHECK (status IN ('intent', 'migrated', 'lazy')),
      created_by_tool boolean NOT NULL DEFAULT false,
      shadow_row boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    // Added after the first release of the table: maps made by an older run gain it on their next apply.
    await this.db.query('ALTER TABLE engify.auth_id_map ADD COLUMN IF NOT EXISTS source_digest text');
  }

  async ensureLegacy(): Promise<void> {
    await this.db.query(`CREATE SCHEMA IF NOT EXISTS engify`);
    await this.db.query(`CREATE TABLE IF NOT EXISTS engify.auth_legacy_hashes (
      email text PRIMARY KEY,
      supabase_id uuid NOT NULL UNIQUE,
      password_hash text NOT NULL,
      attributes jsonb NOT NULL,
      enabled boolean NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
  }

  /** Upserts rows by supabase_id. created_by_tool and shadow_row only ever turn on (a rerun must not forget them). */
  async upsert(rows: IdMapRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO engify.auth_id_map AS m
         (supabase_id, email, cognito_username, cognito_sub, strategy, status, created_by_tool, shadow_row, source_digest)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::bool[], $9::text[])
       ON CONFLICT (supabase_id) DO UPDATE SET
         email = EXCLUDED.email,
         cognito_username = COALESCE(EXCLUDED.cognito_username, m.cognito_username),
         cognito_sub = COALESCE(EXCLUDED.cognito_sub, m.cognito_sub),
         strategy = EXCLUDED.strategy,
         status = CASE WHEN m.status = 'migrated' AND EXCLUDED.status = 'intent' THEN m.status ELSE EXCLUDED.status END,
         created_by_tool = m.created_by_tool OR EXCLUDED.created_by_tool,
         shadow_row = m.shadow_row OR EXCLUDED.shadow_row,
         source_digest = CASE WHEN EXCLUDED.status = 'migrated' THEN EXCLUDED.source_digest ELSE m.source_digest END,
         updated_at = now()`,
      [
        rows.map((r) => r.supabaseId),
        rows.map((r) => r.email),
        rows.map((r) => r.cognitoUsername),
        rows.map((r) => r.cognitoSub),
        rows.map((r) => r.strategy),
        rows.map((r) => r.status),
        rows.map((r) => r.createdByTool),
        rows.map((r) => r.shadowRow),
        rows.map((r) => r.sourceDigest ?? null),
      ],
    );
  }

  async get(ids: string[]): Promise<Map<string, IdMapRow>> {
    const out = new Map<string, IdMapRow>();
    if (ids.length === 0 || !(await this.exists())) return out;
    const r = await this.db.query(`SELECT * FROM engify.auth_id_map WHERE supabase_id = ANY($1::uuid[])`, [
      ids,
    ]);
    for (const row of r.rows) out.set(row.supabase_id as string, fromRow(row));
    return out;
  }

  async counts(): Promise<Record<string, number>> {
    if (!(await this.exists())) return {};
    const r = await this.db.query(
      `SELECT status || CASE WHEN created_by_tool THEN ':created' ELSE ':existing' END AS k, count(*)::int AS n
         FROM engify.auth_id_map GROUP BY 1`,
    );
    return Object.fromEntries(r.rows.map((row) => [row.k as string, row.n as number]));
  }

  /** Every row, in supabase_id order, a page at a time. */
  async *scan(pageSize = 500): AsyncIterable<IdMapRow[]> {
    if (!(await this.exists())) return;
    let last: string | null = null;
    for (;;) {
      const r: { rows: Record<string, unknown>[] } = await this.db.query(
        `SELECT * FROM engify.auth_id_map WHERE ($1::uuid IS NULL OR supabase_id > $1::uuid) ORDER BY supabase_id LIMIT $2`,
        [last, pageSize],
      );
      if (r.rows.length === 0) return;
      const rows: IdMapRow[] = r.rows.map(fromRow);
      yield rows;
      last = rows[rows.length - 1]?.supabaseId ?? null;
      if (r.rows.length < pageSize) return;
    }
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`DELETE FROM engify.auth_id_map WHERE supabase_id = ANY($1::uuid[])`, [ids]);
  }

  async putLegacy(rows: LegacyHashRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO engify.auth_legacy_hashes (email, supabase_id, password_hash, attributes, enabled)
       SELECT e, s, h, a::jsonb, en FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::bool[]) AS t(e, s, h, a, en)
       ON CONFLICT (supabase_id) DO UPDATE SET email = EXCLUDED.email, password_hash = EXCLUDED.password_hash,
         attributes = EXCLUDED.attributes, enabled = EXCLUDED.enabled, updated_at = now()`,
      [
        rows.map((r) => r.email),
        rows.map((r) => r.supabaseId),
        rows.map((r) => r.passwordHash),
        rows.map((r) => JSON.stringify(r.attributes)),
        rows.map((r) => r.enabled),
      ],
    );
  }

  async legacyCount(): Promise<number> {
    if (!(await this.legacyExists())) return 0;
    const r = await this.db.query(`SELECT count(*)::int AS n FROM engify.auth_legacy_hashes`);
    return (r.rows[0]?.n as number) ?? 0;
  }

  async dropSchemaIfEmpty(): Promise<void> {
    // The schema goes only when nothing else (another step's table) lives in it.
    await this.db.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'engify')
      THEN DROP SCHEMA IF EXISTS engify; END IF; END $$`);
  }

  /** Columns of the target's auth.users (written by the db step), or undefined when there is no such table. */
  async shadowColumns(): Promise<Set<string> | undefined> {
    const r = await this.db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'users'`,
    );
    return r.rows.length === 0 ? undefined : new Set(r.rows.map((row) => row.column_name as string));
  }

  /**
   * Inserts shadow rows into the target's auth.users so foreign keys to it keep working; returns the ids
   * this call inserted (rows already there, e.g. copied by the db step, are left alone and not claimed).
   */
  async insertShadow(
    columns: Set<string>,
    rows: { id: string; email: string; createdAt: string | null }[],
  ): Promise<string[]> {
    if (rows.length === 0 || !columns.has('id')) return [];
    const cols = ['id'];
    const params: Json[][] = [rows.map((r) => r.id)];
    const casts = ['uuid'];
    if (columns.has('email')) {
      cols.push('email');
      params.push(rows.map((r) => r.email));
      casts.push('text');
    }
    if (columns.has('created_at')) {
      cols.push('created_at');
      params.push(rows.map((r) => r.createdAt ?? new Date().toISOString()));
      casts.push('timestamptz');
    }
    const r = await this.db.query(
      `INSERT INTO auth.users (${cols.join(', ')})
       SELECT * FROM unnest(${casts.map((c, i) => `$${i + 1}::${c}[]`).join(', ')})
       ON CONFLICT (id) DO NOTHING RETURNING id::text`,
      params,
    );
    return r.rows.map((row) => row.id as string);
  }

  async deleteShadow(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`DELETE FROM auth.users WHERE id = ANY($1::uuid[])`, [ids]);
  }
}

function fromRow(row: Record<string, unknown>): IdMapRow {
  return {
    supabaseId: row.supabase_id as string,
    email: row.email as string,
    cognitoUsername: (row.cognito_username as string | null) ?? null,
    cognitoSub: (row.cognito_sub as string | null) ?? null,
    strategy: row.strategy as string,
    status: row.status as IdMapStatus,
    createdByTool: row.created_by_tool === true,
    shadowRow: row.shadow_row === true,
    sourceDigest: (row.source_digest as string | null | undefined) ?? null,
  };
}
