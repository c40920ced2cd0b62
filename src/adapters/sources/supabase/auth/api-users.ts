import { createHash } from 'node:crypto';
import { EngifyError, toEngifyError } from '../../../../engine/errors.js';
import { messages } from '../../../../ui/messages.js';
import { withRetry } from '../../../retry.js';
import type { Json } from '../../../types.js';
import type { SupabaseAuthSource, SupabaseAuthUser } from './types.js';

// Reads users through the Supabase Auth admin API (auth.admin.listUsers, page by page) when only the
// API URL and service-role key are configured. The API never returns password hashes, so this path
// can only migrate users for a reset (the step falls back and says so in the plan).
// FIXME: page-number cursors shift if users are created during the read; rerunning is still safe
// because writes are upserts keyed by the Supabase id.

interface ApiUser {
  id: string;
  email?: string | null;
  phone?: string | null;
  email_confirmed_at?: string | null;
  phone_confirmed_at?: string | null;
  created_at?: string | null;
  user_metadata?: Record<string, Json> | null;
  app_metadata?: Record<string, Json> | null;
  banned_until?: string | null;
  deleted_at?: string | null;
  is_anonymous?: boolean | null;
  identities?: { provider: string; id?: string; provider_id?: string; identity_id?: string }[] | null;
}

export function supabaseAuthApiSource(options: {
  apiUrl: string;
  serviceRoleKey: string;
  batchSize: number;
}): SupabaseAuthSource {
  const perPage = Math.min(options.batchSize, 1000);

  const fetchPage = async (page: number): Promise<ApiUser[]> => {
    const { createClient } = await import('@supabase/supabase-js');
    const supabase = createClient(options.apiUrl, options.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    });
    try {
      return await withRetry(async () => {
        const { data, error } = await supabase.auth.admin.listUsers({ page, perPage });
        if (error) {
          const status = (error as { status?: number }).status;
          throw new EngifyError({
            code: 'AUTH_SOURCE_API',
            kind: status === undefined || status === 429 || status >= 500 ? 'transient' : 'config',
            message: messages.auth.apiFailed(new URL(options.apiUrl).host, status ?? 0),
            hint: messages.auth.apiFailedHint,
          });
        }
        return data.users as unknown as ApiUser[];
      });
    } catch (error) {
      throw toEngifyError(error, {
        code: 'AUTH_SOURCE_API',
        kind: 'transient',
        message: messages.auth.apiFailed(new URL(options.apiUrl).host, 0),
        hint: messages.auth.apiFailedHint,
      });
    }
  };

  return {
    capabilities: { incremental: false, reversible: false, bulk: false },
    hasPasswordHashes: false,

    async *read({ after, signal }) {
      let page = typeof after === 'number' ? after + 1 : 1;
      for (;;) {
        if (signal?.aborted) return;
        const users = await fetchPage(page);
        if (users.length === 0) return;
        yield { items: users.map(toUser), cursor: page };
        if (users.length < perPage) return;
        page++;
      }
    },

    async emailCollisions() {
      // The API has no GROUP BY: one pass over every page, keeping only a short digest per email.
      const counts = new Map<string, number>();
      const digestToEmail = new Map<string, string>();
      for (let page = 1; ; page++) {
        const users = await fetchPage(page);
        for (const u of users) {
          if (!u.email || u.deleted_at || u.is_anonymous) continue;
          const lower = u.email.toLowerCase();
          const digest = createHash('sha1').update(lower).digest('base64').slice(0, 12);
          const n = (counts.get(digest) ?? 0) + 1;
          counts.set(digest, n);
          if (n === 2) digestToEmail.set(digest, lower);
        }
        if (users.length < perPage) break;
      }
      return new Set(digestToEmail.values());
    },

    async close() {},
  };
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
    identities: (u.identities ?? []).map((i) => ({
      provider: i.provider,
      providerUserId: i.provider_id ?? i.id ?? '',
    })),
  };
}
