import { createHash } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { Json } from '../../../core/contracts.js';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import { withRetry } from '../../../core/retry.js';
import { hostOf } from './db-users.js';
import type { SupabaseAuthSource, SupabaseAuthUser } from './types.js';

// Reads users through the Supabase Auth admin API (auth.admin.listUsers, page by page) when only the
// API URL and service-role key are configured. The API never returns password hashes, so this path
// can only migrate users for a reset (the step refuses the other strategies and says so in the plan).
// Paging follows GoTrue's Link header (rel="next"), not the page length: a proxy that caps per_page
// would otherwise end the read after the first short page and silently drop the rest.
// FIXME: GoTrue pages by OFFSET over `ORDER BY created_at DESC` alone: users created during the read
// shift pages, and users sharing a created_at (bulk imports) may be returned on two pages while
// another is on none. Rerunning is safe (writes are upserts keyed by the Supabase id) and verify
// counts against the source, but only the database path (source.supabase.dbUrl) reads exactly.

interface ApiUser {
  id: string;
  email?: string | null;
  phone?: string | null;
  email_confirmed_at?: string | null;
  phone_confirmed_at?: string | null;
  created_at?: string | null;
  last_sign_in_at?: string | null;
  user_metadata?: Record<string, Json> | null;
  app_metadata?: Record<string, Json> | null;
  banned_until?: string | null;
  deleted_at?: string | null;
  is_anonymous?: boolean | null;
  /** GoTrue's identity JSON: `id` is the provider's user id (provider_id), `identity_id` the row id. */
  identities?: { provider: string; id?: string; identity_id?: string }[] | null;
}

interface Page {
  users: ApiUser[];
  more: boolean;
}

export function supabaseAuthApiSource(options: {
  apiUrl: string;
  serviceRoleKey: string;
  batchSize: number;
  timeoutMs?: number;
}): SupabaseAuthSource {
  const perPage = Math.min(options.batchSize, 1000);
  const host = hostOf(options.apiUrl);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let client: SupabaseClient | undefined;
  // Set when the last request got no HTTP answer (refused, reset, timed out).
  let networkFailure: string | undefined;

  const connect = async (): Promise<SupabaseClient> => {
    if (client) return client;
    const { createClient } = await import('@supabase/supabase-js');
    // auth-js prints the stack of any error fetch throws (console.error) before wrapping it; answering a
    // synthetic 503 instead keeps the terminal clean, and networkFailure keeps the real cause.
    const timedFetch: typeof fetch = async (input, init) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        return await fetch(input, {
          ...init,
          signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        networkFailure = cause ?? (error instanceof Error ? error.name : 'network error');
        return new Response(JSON.stringify({ message: networkFailure }), { status: 503 });
      }
    };
    client = createClient(options.apiUrl, options.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      global: { fetch: timedFetch },
    });
    return client;
  };

  const fetchPage = async (page: number, signal?: AbortSignal): Promise<Page> => {
    const supabase = await connect();
    return withRetry(
      async () => {
        networkFailure = undefined;
        const { data, error } = await supabase.auth.admin.listUsers({ page, perPage });
        if (error)
          throw apiError(host, networkFailure ? { ...error, status: 0, message: networkFailure } : error);
        const users = data.users as unknown as ApiUser[];
        // auth-js sets nextPage only from a rel="next" link (its page parsing keeps one digit, so only
        // null-ness is used); lastPage/total stay 0 when the response had no Link header at all.
        const linked = data.lastPage > 0 || data.total > 0;
        const more = users.length > 0 && (linked ? data.nextPage !== null : users.length >= perPage);
        return { users, more };
      },
      { ...(signal ? { signal } : {}) },
    );
  };

  return {
    capabilities: { incremental: false, reversible: false, bulk: false },
    hasPasswordHashes: false,

    async *read({ after, signal }) {
      let page = typeof after === 'number' ? after + 1 : 1;
      for (;;) {
        if (signal?.aborted) return;
        const { users, more } = await fetchPage(page, signal);
        if (users.length > 0) yield { items: users.map(toUser), cursor: page };
        if (!more) return;
        page++;
      }
    },

    async emailCollisions() {
      // The API has no GROUP BY: one pass over every page, keeping only a short digest per email.
      const counts = new Map<string, number>();
      const digestToEmail = new Map<string, string>();
      for (let page = 1; ; page++) {
        const { users, more } = await fetchPage(page);
        for (const u of users) {
          if (!u.email || u.deleted_at || u.is_anonymous) continue;
          const lower = u.email.toLowerCase();
          const digest = createHash('sha1').update(lower).digest('base64').slice(0, 12);
          const n = (counts.get(digest) ?? 0) + 1;
          counts.set(digest, n);
          if (n === 2) digestToEmail.set(digest, lower);
        }
        if (!more) break;
      }
      return new Set(digestToEmail.values());
    },

    async close() {
      client = undefined;
    },
  };
}

/** auth-js errors carry the HTTP status (0 when the request never got an answer). */
function apiError(host: string, error: { status?: number; message?: string; name?: string }): EngifyError {
  const status = typeof error.status === 'number' ? error.status : 0;
  const detail = `${error.name ?? 'AuthError'}: ${error.message ?? ''}`;
  if (status === 0 || status === 429 || status >= 500) {
    return new EngifyError({
      code: status === 0 ? 'AUTH_SOURCE_API_UNREACHABLE' : 'AUTH_SOURCE_API',
      kind: 'transient',
      message: status === 0 ? messages.auth.apiUnreachable(host) : messages.auth.apiFailed(host, status),
      hint: status === 0 ? messages.auth.apiUnreachableHint : messages.auth.apiRetryHint,
      detail,
    });
  }
  if (status === 401 || status === 403) {
    return new EngifyError({
      code: 'AUTH_SOURCE_API_KEY',
      kind: 'config',
      message: messages.auth.apiKeyRefused(host, status, error.message ?? ''),
      hint: messages.auth.apiKeyRefusedHint,
      detail,
    });
  }
  return new EngifyError({
    code: 'AUTH_SOURCE_API',
    kind: 'config',
    message: messages.auth.apiFailed(host, status),
    hint: messages.auth.apiFailedHint,
    detail,
  });
}

function toUser(u: ApiUser): SupabaseAuthUser {
  return {
    id: u.id,
    email: u.email || null,
    phone: u.phone || null,
    emailConfirmedAt: u.email_confirmed_at ?? null,
    phoneConfirmedAt: u.phone_confirmed_at ?? null,
    passwordHash: null,
    userMetadata: u.user_metadata ?? {},
    appMetadata: u.app_metadata ?? {},
    bannedUntil: u.banned_until ?? null,
    deletedAt: u.deleted_at ?? null,
    isAnonymous: u.is_anonymous === true,
    createdAt: u.created_at ?? null,
    lastSignInAt: u.last_sign_in_at ?? null,
    identities: (u.identities ?? []).map((i) => ({ provider: i.provider, providerUserId: i.id ?? '' })),
  };
}
