import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import type { Json } from '../../core/contracts.js';
import type { SupabaseAuthUser } from '../../providers/supabase/auth/types.js';
import type { IdMapRow } from './auth-id-map.js';
import type { CognitoUserDraft } from './user-mapping.js';

// What the auth sync passes keep between runs, and the few source-side reads/writes they need that the
// auth.users step's reader does not offer (read by id, write back).
//
// engify.auth_sync_digest (target database, next to the id map): per Supabase user, a digest of the
// Cognito draft last carried (either way) and of its password hash. A forward pass calls Cognito only
// for users whose digest moved; the reverse pass stores the digest of what it wrote into the source, so
// the next forward pass sees no change there (no echo).

export const DIGEST_TABLE = 'engify.auth_sync_digest';
/** Stored for users disabled in Cognito because their source row is gone or soft-deleted. */
export const DELETED = 'deleted';

export interface DigestRow {
  digest: string;
  passwordDigest: string | null;
}

export class AuthSyncState {
  constructor(private readonly db: Client) {}

  async exists(): Promise<boolean> {
    const r = await this.db.query(`SELECT to_regclass('engify.auth_sync_digest') IS NOT NULL AS ok`);
    return r.rows[0]?.ok === true;
  }

  async ensure(): Promise<void> {
    await this.db.query(`CREATE SCHEMA IF NOT EXISTS engify`);
    await this.db.query(`CREATE TABLE IF NOT EXISTS engify.auth_sync_digest (
      supabase_id uuid PRIMARY KEY,
      digest text NOT NULL,
      password_digest text,
      updated_at timestamptz NOT NULL DEFAULT now())`);
  }

  async get(ids: string[]): Promise<Map<string, DigestRow>> {
    const out = new Map<string, DigestRow>();
    if (ids.length === 0) return out;
    const r = await this.db.query(
      `SELECT supabase_id::text AS id, digest, password_digest FROM engify.auth_sync_digest WHERE supabase_id = ANY($1::uuid[])`,
      [ids],
    );
    for (const row of r.rows)
      out.set(row.id as string, {
        digest: row.digest as string,
        passwordDigest: row.password_digest ?? null,
      });
    return out;
  }

  async put(rows: { id: string; digest: string; passwordDigest: string | null }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO engify.auth_sync_digest (supabase_id, digest, password_digest)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])
       ON CONFLICT (supabase_id) DO UPDATE SET digest = EXCLUDED.digest,
         password_digest = EXCLUDED.password_digest, updated_at = now()`,
      [rows.map((r) => r.id), rows.map((r) => r.digest), rows.map((r) => r.passwordDigest)],
    );
  }

  /** Id map rows by Cognito username: how users whose custom:supabase_id could not be set are found again. */
  async byUsername(usernames: string[]): Promise<Map<string, IdMapRow>> {
    const out = new Map<string, IdMapRow>();
    if (usernames.length === 0) return out;
    const r = await this.db.query(
      `SELECT * FROM engify.auth_id_map WHERE cognito_username = ANY($1::text[])`,
      [usernames],
    );
    for (const row of r.rows) {
      out.set(row.cognito_username as string, {
        supabaseId: row.supabase_id as string,
        email: row.email as string,
        cognitoUsername: row.cognito_username as string,
        cognitoSub: (row.cognito_sub as string | null) ?? null,
        strategy: row.strategy as string,
        status: row.status as IdMapRow['status'],
        createdByTool: row.created_by_tool === true,
        shadowRow: row.shadow_row === true,
      });
    }
    return out;
  }

  async disableLegacy(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `UPDATE engify.auth_legacy_hashes SET enabled = false, updated_at = now()
        WHERE supabase_id = ANY($1::uuid[]) AND to_regclass('engify.auth_legacy_hashes') IS NOT NULL`,
      [ids],
    );
  }
}

/** The digest of a draft: every attribute, the enabled flag and the linked identities. Never the hash. */
export function draftDigest(draft: CognitoUserDraft): string {
  return sha(
    JSON.stringify({
      a: draft.attributes,
      e: draft.enabled,
      i: draft.identities.map((i) => `${i.provider}:${i.providerUserId}`).sort(),
    }),
  );
}

export function passwordDigest(hash: string | null): string | null {
  return hash ? sha(hash) : null;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

// ------------------------------------------------------------------------------------ source side

/**
 * Source users by id, whatever GoTrue version made the table: rows come back as to_jsonb(u), so
 * columns a version lacks (is_anonymous, deleted_at, banned_until) simply read as absent.
 */
export async function readSourceUsers(db: Client, ids: string[]): Promise<Map<string, SupabaseAuthUser>> {
  const out = new Map<string, SupabaseAuthUser>();
  if (ids.length === 0) return out;
  const users = await db.query(`SELECT to_jsonb(u) AS u FROM auth.users u WHERE id = ANY($1::uuid[])`, [ids]);
  const identities = await db.query(
    `SELECT to_jsonb(i) AS i FROM auth.identities i WHERE user_id = ANY($1::uuid[]) ORDER BY user_id, provider`,
    [ids],
  );
  const byUser = new Map<string, { provider: string; providerUserId: string }[]>();
  for (const { i } of identities.rows as { i: Record<string, Json> }[]) {
    const list = byUser.get(String(i.user_id)) ?? [];
    list.push({ provider: String(i.provider), providerUserId: String(i.provider_id ?? i.id ?? '') });
    byUser.set(String(i.user_id), list);
  }
  for (const { u } of users.rows as { u: Record<string, Json> }[]) {
    const id = String(u.id);
    out.set(id, {
      id,
      email: str(u.email),
      phone: str(u.phone),
      emailConfirmedAt: time(u.email_confirmed_at),
      phoneConfirmedAt: time(u.phone_confirmed_at),
      passwordHash: str(u.encrypted_password),
      userMetadata: obj(u.raw_user_meta_data),
      appMetadata: obj(u.raw_app_meta_data),
      bannedUntil: time(u.banned_until),
      deletedAt: time(u.deleted_at),
      isAnonymous: u.is_anonymous === true,
      createdAt: time(u.created_at),
      lastSignInAt: time(u.last_sign_in_at),
      identities: byUser.get(id) ?? [],
    });
  }
  return out;
}

/** Ids of `ids` that have no row in the source's auth.users any more (hard-deleted). */
export async function missingInSource(db: Client, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const r = await db.query(
    `SELECT x::text AS id FROM unnest($1::uuid[]) AS x WHERE NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.id = x)`,
    [ids],
  );
  return r.rows.map((row) => row.id as string);
}

/** The source user (live, not anonymous) holding this email, if any. */
export async function sourceIdByEmail(db: Client, email: string): Promise<string | undefined> {
  const r = await db.query(`SELECT id::text AS id FROM auth.users WHERE lower(email) = lower($1) LIMIT 1`, [
    email,
  ]);
  return (r.rows[0]?.id as string | undefined) ?? undefined;
}

export interface SourceUserWrite {
  id: string;
  email: string;
  /** Without the leading "+", as Supabase stores phone numbers. */
  phone: string | null;
  emailConfirmed: boolean;
  phoneConfirmed: boolean;
  /** user_metadata keys to set (top level). */
  metadata: Record<string, string>;
}

/**
 * A user created in Cognito after cutover, as a GoTrue-shaped row: no password (Cognito never exposes
 * the hash), an "email" identity like GoTrue makes. ON CONFLICT DO NOTHING: a rerun after a crash
 * between this insert and the id map update inserts nothing twice.
 */
export async function insertSourceUser(db: Client, user: SourceUserWrite): Promise<void> {
  const columns = await db.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'users'`,
  );
  const has = new Set(columns.rows.map((r) => r.column_name as string));
  const cols = ['id', 'email', 'phone', 'email_confirmed_at', 'phone_confirmed_at', 'raw_user_meta_data'];
  const values = [
    '$1::uuid',
    '$2',
    '$3',
    'CASE WHEN $4 THEN now() END',
    'CASE WHEN $5 THEN now() END',
    '$6::jsonb',
  ];
  const optional: [string, string][] = [
    ['raw_app_meta_data', `'{"provider":"email","providers":["email"]}'::jsonb`],
    ['aud', `'authenticated'`],
    ['role', `'authenticated'`],
    ['created_at', 'now()'],
    ['updated_at', 'now()'],
  ];
  for (const [c, v] of optional) {
    if (!has.has(c)) continue;
    cols.push(c);
    values.push(v);
  }
  await db.query('BEGIN');
  try {
    await db.query(
      `INSERT INTO auth.users (${cols.join(', ')}) VALUES (${values.join(', ')}) ON CONFLICT (id) DO NOTHING`,
      [
        user.id,
        user.email,
        user.phone,
        user.emailConfirmed,
        user.phoneConfirmed,
        JSON.stringify(user.metadata),
      ],
    );
    // Only the columns every GoTrue version has (identities.email is a generated column in recent ones).
    await db.query(
      `INSERT INTO auth.identities (provider_id, user_id, identity_data, provider)
       SELECT $1::text, $1::uuid, jsonb_build_object('sub', $1::text, 'email', $2::text), 'email'
        WHERE NOT EXISTS (SELECT 1 FROM auth.identities WHERE user_id = $1::uuid AND provider = 'email')`,
      [user.id, user.email],
    );
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Attribute changes made in Cognito, written onto the source row (metadata keys merged, never dropped). */
export async function updateSourceUser(db: Client, user: SourceUserWrite): Promise<void> {
  const hasUpdatedAt = await db.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'users' AND column_name = 'updated_at'`,
  );
  await db.query(
    `UPDATE auth.users SET email = $2, phone = $3,
        email_confirmed_at = CASE WHEN $4 THEN COALESCE(email_confirmed_at, now()) END,
        phone_confirmed_at = CASE WHEN $5 THEN COALESCE(phone_confirmed_at, now()) END,
        raw_user_meta_data = COALESCE(raw_user_meta_data, '{}'::jsonb) || $6::jsonb
        ${hasUpdatedAt.rows.length > 0 ? ', updated_at = now()' : ''}
      WHERE id = $1::uuid`,
    [
      user.id,
      user.email,
      user.phone,
      user.emailConfirmed,
      user.phoneConfirmed,
      JSON.stringify(user.metadata),
    ],
  );
}

const str = (v: Json | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null);
const time = (v: Json | undefined): string | null => {
  if (typeof v !== 'string' || v === '' || v === '-infinity') return null;
  if (v === 'infinity') return '9999-12-31T00:00:00.000Z';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};
const obj = (v: Json | undefined): Record<string, Json> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
