import type { Client as PgClient } from 'pg';
import {
  bearer,
  matchRoute,
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// A stand-in for the Supabase Auth (GoTrue) admin API as @supabase/supabase-js calls it for
// auth.admin.listUsers / getUserById, served under /auth/v1 like a hosted project:
//   GET /auth/v1/admin/users?page=&per_page=   -> {"users":[...],"aud":"authenticated"}
//       with GoTrue's pagination headers: `Link: </admin/users?page=2&per_page=50>; rel="next",
//       </admin/users?page=4&per_page=50>; rel="last"` and `X-Total-Count` (internal/api/pagination.go)
//   GET /auth/v1/admin/users/{id}              -> the user object
// Two layers of auth, as on a hosted project: the API gateway wants a known `apikey` header (401
// {"message":"No API key found in request"} / {"message":"Invalid API key"}), then GoTrue wants a
// service-role bearer token (401 no_authorization without one, 403 bad_jwt for an unknown token,
// 403 not_admin for the anon key). Error bodies follow the API version the client asks for
// (X-Supabase-Api-Version: 2024-01-01 -> {"code":"not_admin","msg":...}; older -> {"code":403,
// "error_code":...,"msg":...}). Users are listed newest first (GoTrue's default sort, created_at
// DESC) and only for the request's audience. User objects carry GoTrue's JSON fields; like the real
// API they never carry password hashes.
// FIXME: GoTrue sorts by created_at alone, so rows with equal created_at may come back in a different
// order on every page of a real Postgres; here ties are broken by id so the stand-in is deterministic.

export interface StandInIdentity {
  /** The provider's user id (auth.identities.provider_id; GoTrue's JSON calls it `id`). */
  providerId: string;
  provider: string;
  identityData?: Record<string, unknown>;
  email?: string | null;
}

export interface StandInAuthUser {
  id: string;
  aud?: string;
  role?: string;
  email?: string | null;
  phone?: string | null;
  emailConfirmedAt?: string | null;
  phoneConfirmedAt?: string | null;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  bannedUntil?: string | null;
  deletedAt?: string | null;
  isAnonymous?: boolean;
  createdAt?: string;
  updatedAt?: string;
  identities?: StandInIdentity[];
  /** Kept only to prove the API never returns it. */
  encryptedPassword?: string | null;
}

export interface SupabaseAuthApiOptions {
  serviceRoleKey: string;
  /** The anon key: passes the gateway but GoTrue refuses it on admin routes (403 not_admin). */
  anonKey?: string;
  users?: StandInAuthUser[];
  /** Caps per_page like a proxy in front of GoTrue might (GoTrue itself has no cap in page mode). */
  maxPerPage?: number;
}

export interface SupabaseAuthApi {
  /** Project URL, what createClient takes; the API is under /auth/v1. */
  url: string;
  requests: RecordedRequest[];
  /** Requests with the key headers replaced, safe to print or snapshot. */
  redactedRequests(): RecordedRequest[];
  addUsers(users: StandInAuthUser[]): void;
  users(): StandInAuthUser[];
  /** Answer the next `count` requests with this status (5xx/429), then behave again. */
  failNext(count: number, status?: number): void;
  stop(): Promise<void>;
}

const BASE = '/auth/v1';
const DEFAULT_AUD = 'authenticated';
const API_VERSION_HEADER = 'x-supabase-api-version';

export async function startSupabaseAuthApi(options: SupabaseAuthApiOptions): Promise<SupabaseAuthApi> {
  const users = new Map<string, StandInAuthUser>();
  let failures = 0;
  let failStatus = 503;
  const add = (list: StandInAuthUser[]) => {
    for (const u of list) users.set(u.id, u);
  };
  add(options.users ?? []);

  const error = (request: RecordedRequest, status: number, code: string, msg: string): StandInReply => {
    if (request.headers[API_VERSION_HEADER] === '2024-01-01') {
      return { status, body: { code, msg }, headers: { [API_VERSION_HEADER]: '2024-01-01' } };
    }
    return { status, body: { code: status, error_code: code, msg } };
  };

  const handler = (request: RecordedRequest): StandInReply => {
    if (failures > 0) {
      failures--;
      return { status: failStatus, body: { message: 'upstream temporarily unavailable' } };
    }
    // The API gateway: any known project key in `apikey`.
    const apikey = request.headers.apikey ?? request.query.apikey;
    if (!apikey) {
      return {
        status: 401,
        body: {
          message: 'No API key found in request',
          hint: 'No `apikey` request header or url param was found.',
        },
      };
    }
    if (apikey !== options.serviceRoleKey && apikey !== options.anonKey) {
      return {
        status: 401,
        body: {
          message: 'Invalid API key',
          hint: 'Double check your Supabase `anon` or `service_role` API key.',
        },
      };
    }
    if (!request.path.startsWith(`${BASE}/`)) return error(request, 404, 'not_found', 'Not Found');
    const path = request.path.slice(BASE.length);
    // GoTrue's requireAdmin: a bearer token whose role is an admin role.
    if (path.startsWith('/admin/')) {
      const token = bearer(request);
      if (!token) return error(request, 401, 'no_authorization', 'This endpoint requires a bearer token');
      if (token === options.anonKey) return error(request, 403, 'not_admin', 'User not allowed');
      if (token !== options.serviceRoleKey) {
        return error(
          request,
          403,
          'bad_jwt',
          'invalid JWT: unable to parse or verify signature, token is malformed',
        );
      }
    }
    if (request.method === 'GET' && path === '/admin/users') return listUsers(request);
    const one = matchRoute('/admin/users/{id}', path);
    if (request.method === 'GET' && one) {
      const user = users.get(one.id ?? '');
      if (!user) return error(request, 404, 'user_not_found', 'User not found');
      return { status: 200, body: toJson(user) };
    }
    return error(request, 404, 'not_found', 'Not Found');
  };

  const listUsers = (request: RecordedRequest): StandInReply => {
    const page = parseUint(request.query.page, 1);
    let perPage = parseUint(request.query.per_page, 50);
    if (page === undefined || perPage === undefined || perPage === 0) {
      return error(request, 400, 'validation_failed', 'Bad Pagination Parameters: invalid page or per_page');
    }
    if (options.maxPerPage && perPage > options.maxPerPage) perPage = options.maxPerPage;
    const aud = request.headers['x-jwt-aud'] || DEFAULT_AUD;
    const all = [...users.values()]
      .filter((u) => (u.aud ?? DEFAULT_AUD) === aud)
      .sort((a, b) => {
        const byTime = Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? '');
        return byTime !== 0 && !Number.isNaN(byTime) ? byTime : a.id.localeCompare(b.id);
      });
    // pop's Paginate: page < 1 is page 1.
    const from = (Math.max(page, 1) - 1) * perPage;
    const slice = all.slice(from, from + perPage);
    const totalPages = Math.ceil(all.length / perPage);
    const link = (p: number) => {
      const q = new URLSearchParams({ page: String(p) });
      if (request.query.per_page !== undefined && request.query.per_page !== '')
        q.set('per_page', String(perPage));
      return `</admin/users?${q.toString()}>`;
    };
    let header = '';
    if (totalPages > page) header += `${link(page + 1)}; rel="next", `;
    header += `${link(totalPages)}; rel="last"`;
    return {
      status: 200,
      body: { users: slice.map(toJson), aud },
      headers: { link: header, 'x-total-count': String(all.length) },
    };
  };

  const server: RunningStandIn = await startStandIn((request) => handler(request));
  return {
    url: server.url,
    requests: server.requests,
    redactedRequests: () =>
      server.requests.map((r) => ({
        ...r,
        headers: {
          ...r.headers,
          ...(r.headers.apikey ? { apikey: '[redacted]' } : {}),
          ...(r.headers.authorization ? { authorization: '[redacted]' } : {}),
        },
      })),
    addUsers: add,
    users: () => [...users.values()],
    failNext: (count, status = 503) => {
      failures = count;
      failStatus = status;
    },
    stop: () => server.close(),
  };
}

function parseUint(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/** GoTrue's models.User JSON: omitempty timestamps are left out when unset; no password fields. */
function toJson(u: StandInAuthUser): Record<string, unknown> {
  const created = u.createdAt ?? new Date(0).toISOString();
  const out: Record<string, unknown> = {
    id: u.id,
    aud: u.aud ?? DEFAULT_AUD,
    role: u.role ?? 'authenticated',
    email: u.email ?? '',
    phone: u.phone ?? '',
    app_metadata: u.appMetadata ?? {},
    user_metadata: u.userMetadata ?? {},
    identities: (u.identities ?? []).map((i, n) => ({
      identity_id: `${u.id.slice(0, -4)}${String(n).padStart(4, '0')}`,
      id: i.providerId,
      user_id: u.id,
      identity_data: i.identityData ?? {},
      provider: i.provider,
      created_at: created,
      updated_at: u.updatedAt ?? created,
      ...(i.email ? { email: i.email } : {}),
    })),
    created_at: created,
    updated_at: u.updatedAt ?? created,
    is_anonymous: u.isAnonymous === true,
  };
  if (u.emailConfirmedAt) out.email_confirmed_at = u.emailConfirmedAt;
  if (u.phoneConfirmedAt) out.phone_confirmed_at = u.phoneConfirmedAt;
  if (u.emailConfirmedAt ?? u.phoneConfirmedAt) out.confirmed_at = u.emailConfirmedAt ?? u.phoneConfirmedAt;
  if (u.bannedUntil) out.banned_until = u.bannedUntil;
  if (u.deletedAt) out.deleted_at = u.deletedAt;
  return out;
}

/** The users (and identities) of a Supabase-shaped auth schema, e.g. test/fixtures/auth-fixture.sql. */
export async function usersFromPostgres(client: PgClient): Promise<StandInAuthUser[]> {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const rows = await client.query<{
    id: string;
    aud: string | null;
    email: string | null;
    phone: string | null;
    encrypted_password: string | null;
    email_confirmed_at: Date | null;
    phone_confirmed_at: Date | null;
    raw_user_meta_data: Record<string, unknown> | null;
    raw_app_meta_data: Record<string, unknown> | null;
    banned_until: Date | null;
    deleted_at: Date | null;
    is_anonymous: boolean;
    created_at: Date | null;
    updated_at: Date | null;
  }>(
    `SELECT id::text, aud, email, phone, encrypted_password, email_confirmed_at, phone_confirmed_at,
            raw_user_meta_data, raw_app_meta_data, banned_until, deleted_at, is_anonymous, created_at, updated_at
       FROM auth.users ORDER BY id`,
  );
  const identities = await client.query<{
    user_id: string;
    provider_id: string;
    provider: string;
    identity_data: Record<string, unknown>;
    email: string | null;
  }>(
    'SELECT user_id::text, provider_id, provider, identity_data, email FROM auth.identities ORDER BY provider',
  );
  return rows.rows.map((r) => ({
    id: r.id,
    ...(r.aud ? { aud: r.aud } : {}),
    email: r.email,
    phone: r.phone,
    encryptedPassword: r.encrypted_password,
    emailConfirmedAt: iso(r.email_confirmed_at),
    phoneConfirmedAt: iso(r.phone_confirmed_at),
    userMetadata: r.raw_user_meta_data ?? {},
    appMetadata: r.raw_app_meta_data ?? {},
    bannedUntil: iso(r.banned_until),
    deletedAt: iso(r.deleted_at),
    isAnonymous: r.is_anonymous,
    createdAt: iso(r.created_at) ?? new Date(0).toISOString(),
    updatedAt: iso(r.updated_at) ?? new Date(0).toISOString(),
    identities: identities.rows
      .filter((i) => i.user_id === r.id)
      .map((i) => ({
        providerId: i.provider_id,
        provider: i.provider,
        identityData: i.identity_data,
        email: i.email,
      })),
  }));
}
