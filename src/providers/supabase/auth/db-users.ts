import type { Client } from 'pg';
import type { Json } from '../../../core/contracts.js';
import { toEngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import { withRetry } from '../../../core/retry.js';
import type { Services } from '../../../core/services.js';
import type { SupabaseAuthSource, SupabaseAuthUser, SupabaseIdentity } from './types.js';

// Reads auth.users + auth.identities straight from the Supabase database: the only path that sees the
// bcrypt hashes. Keyset pagination on id (the primary key) keeps memory at one batch and makes the
// last id an exact resume cursor. Columns added by later GoTrue versions (is_anonymous, deleted_at,
// identities.provider_id) are detected, so older projects read too.

interface Columns {
  isAnonymous: boolean;
  deletedAt: boolean;
  bannedUntil: boolean;
  lastSignInAt: boolean;
  providerId: boolean;
}

export function supabaseAuthDbSource(options: {
  services: Services;
  dbUrl: string;
  batchSize: number;
}): SupabaseAuthSource {
  let client: Client | undefined;
  let columns: Columns | undefined;

  const connect = async (): Promise<Client> => {
    if (client) return client;
    try {
      client = await withRetry(() => options.services.pg(options.dbUrl));
    } catch (error) {
      throw toEngifyError(error, {
        code: 'AUTH_SOURCE_UNREACHABLE',
        kind: 'transient',
        message: messages.auth.sourceUnreachable(hostOf(options.dbUrl)),
        hint: messages.auth.sourceUnreachableHint,
      });
    }
    return client;
  };

  const query = async <R extends Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<R[]> => {
    const c = await connect();
    const result = await withRetry(() => c.query(sql, params));
    return result.rows as R[];
  };

  const detect = async (): Promise<Columns> => {
    if (columns) return columns;
    const rows = await query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'auth' AND table_name IN ('users', 'identities')`,
    );
    const has = (table: string, column: string) =>
      rows.some((r) => r.table_name === table && r.column_name === column);
    if (!has('users', 'id')) {
      throw toEngifyError(new Error('auth.users missing'), {
        code: 'AUTH_SOURCE_NO_USERS_TABLE',
        kind: 'config',
        message: messages.auth.noAuthSchema(hostOf(options.dbUrl)),
        hint: messages.auth.noAuthSchemaHint,
      });
    }
    columns = {
      isAnonymous: has('users', 'is_anonymous'),
      deletedAt: has('users', 'deleted_at'),
      bannedUntil: has('users', 'banned_until'),
      lastSignInAt: has('users', 'last_sign_in_at'),
      providerId: has('identities', 'provider_id'),
    };
    return columns;
  };

  return {
    capabilities: { incremental: false, reversible: false, bulk: false },
    hasPasswordHashes: true,

    async *read({ after, signal }) {
      const cols = await detect();
      let last = typeof after === 'string' ? after : null;
      for (;;) {
        if (signal?.aborted) return;
        const rows = await query<UserRow>(
          `SELECT id::text, email, phone, encrypted_password,
                  email_confirmed_at, phone_confirmed_at, created_at,
                  raw_user_meta_data, raw_app_meta_data,
                  ${cols.bannedUntil ? 'banned_until' : 'NULL::timestamptz AS banned_until'},
                  ${cols.deletedAt ? 'deleted_at' : 'NULL::timestamptz AS deleted_at'},
                  ${cols.isAnonymous ? 'is_anonymous' : 'false AS is_anonymous'},
                  ${cols.lastSignInAt ? 'last_sign_in_at' : 'NULL::timestamptz AS last_sign_in_at'}
             FROM auth.users
            WHERE ($1::uuid IS NULL OR users.id > $1::uuid)
            -- users.id, the uuid column: a bare "id" here is the id::text output column, which
            -- sorts the whole table for every page instead of walking the primary key.
            ORDER BY users.id
            LIMIT $2`,
          [last, options.batchSize],
        );
        if (rows.length === 0) return;
        const ids = rows.map((r) => r.id);
        const identities = await query<{ user_id: string; provider: string; provider_user_id: string }>(
          `SELECT user_id::text, provider, ${cols.providerId ? 'provider_id' : 'id::text'} AS provider_user_id
             FROM auth.identities WHERE user_id = ANY($1::uuid[]) ORDER BY user_id, provider`,
          [ids],
        );
        const byUser = new Map<string, SupabaseIdentity[]>();
        for (const i of identities) {
          const list = byUser.get(i.user_id) ?? [];
          list.push({ provider: i.provider, providerUserId: i.provider_user_id });
          byUser.set(i.user_id, list);
        }
        const items = rows.map((r) => toUser(r, byUser.get(r.id) ?? []));
        last = ids[ids.length - 1] ?? last;
        yield { items, cursor: last };
        if (rows.length < options.batchSize) return;
      }
    },

    async emailCollisions() {
      const cols = await detect();
      // Only live users can collide; a soft-deleted twin is skipped anyway. The set is usually tiny.
      const rows = await query<{ email: string }>(
        `SELECT lower(email) AS email FROM auth.users
          WHERE email IS NOT NULL AND email <> '' ${cols.deletedAt ? 'AND deleted_at IS NULL' : ''}
            ${cols.isAnonymous ? 'AND NOT is_anonymous' : ''}
          GROUP BY lower(email) HAVING count(*) > 1`,
      );
      return new Set(rows.map((r) => r.email));
    },

    async close() {
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}

interface UserRow extends Record<string, unknown> {
  id: string;
  email: string | null;
  phone: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  phone_confirmed_at: Date | null;
  created_at: Date | null;
  raw_user_meta_data: Record<string, Json> | null;
  raw_app_meta_data: Record<string, Json> | null;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean | null;
  last_sign_in_at: Date | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toUser(r: UserRow, identities: SupabaseIdentity[]): SupabaseAuthUser {
  return {
    id: r.id,
    email: r.email || null,
    phone: r.phone || null,
    emailConfirmedAt: iso(r.email_confirmed_at),
    phoneConfirmedAt: iso(r.phone_confirmed_at),
    passwordHash: r.encrypted_password || null,
    userMetadata: r.raw_user_meta_data ?? {},
    appMetadata: r.raw_app_meta_data ?? {},
    bannedUntil: iso(r.banned_until),
    deletedAt: iso(r.deleted_at),
    isAnonymous: r.is_anonymous === true,
    createdAt: iso(r.created_at),
    lastSignInAt: iso(r.last_sign_in_at),
    identities,
  };
}

export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return '(unparseable URL)';
  }
}
