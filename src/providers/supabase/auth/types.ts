import type { Json } from '../../../core/contracts.js';

// A Supabase Auth user as both readers (database, admin API) produce it. Field names follow Supabase's
// `auth.users` columns; values stay as the source has them (mapping to Cognito happens in the target).

export interface SupabaseIdentity {
  /** "google", "github", "email", "phone", ... */
  provider: string;
  /** The user's id at the provider (auth.identities.provider_id). */
  providerUserId: string;
}

export interface SupabaseAuthUser {
  id: string;
  email: string | null;
  phone: string | null;
  emailConfirmedAt: string | null;
  phoneConfirmedAt: string | null;
  /** auth.users.encrypted_password; null through the admin API, which never returns it. */
  passwordHash: string | null;
  userMetadata: Record<string, Json>;
  appMetadata: Record<string, Json>;
  bannedUntil: string | null;
  deletedAt: string | null;
  isAnonymous: boolean;
  createdAt: string | null;
  /** Last sign-in (auth.users.last_sign_in_at): who is active, for the MAU Cognito bills. */
  lastSignInAt: string | null;
  identities: SupabaseIdentity[];
}

export interface SupabaseAuthSource {
  readonly capabilities: { incremental: boolean; reversible: boolean; bulk: boolean };
  /** True when password hashes are readable (database mode); the admin API never exposes them. */
  readonly hasPasswordHashes: boolean;
  read(options: {
    after?: Json;
    signal?: AbortSignal;
  }): AsyncIterable<{ items: SupabaseAuthUser[]; cursor: Json }>;
  /** Lower-cased emails shared by two or more users (these are reported, never merged). */
  emailCollisions(): Promise<Set<string>>;
  close(): Promise<void>;
}
