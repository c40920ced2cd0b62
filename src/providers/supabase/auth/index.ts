import type { Config } from '../../../config/schema.js';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { Services } from '../../../core/services.js';
import { supabaseAuthApiSource } from './api-users.js';
import { supabaseAuthDbSource } from './db-users.js';
import type { SupabaseAuthSource } from './types.js';

export type { SupabaseAuthSource, SupabaseAuthUser, SupabaseIdentity } from './types.js';

/** The database path when a dbUrl is configured (it sees password hashes), else the admin API. */
export function createSupabaseAuthSource(
  config: Config,
  services: Services,
  batchSize: number,
): SupabaseAuthSource | undefined {
  const supabase = config.source.supabase;
  if (!supabase) return undefined;
  if (supabase.dbUrl) return supabaseAuthDbSource({ services, dbUrl: supabase.dbUrl, batchSize });
  if (supabase.apiUrl && supabase.serviceRoleKey) {
    return supabaseAuthApiSource({
      apiUrl: supabase.apiUrl,
      serviceRoleKey: supabase.serviceRoleKey,
      batchSize,
      timeoutMs: config.target.aws.requestTimeoutMs,
    });
  }
  return undefined;
}

/** createSupabaseAuthSource, or the config error saying which source settings auth needs. */
export function requireSupabaseAuthSource(
  config: Config,
  services: Services,
  batchSize: number,
): SupabaseAuthSource {
  const source = createSupabaseAuthSource(config, services, batchSize);
  if (source) return source;
  throw new EngifyError({
    code: 'AUTH_NO_SOURCE',
    kind: 'config',
    message: messages.auth.noSource,
    hint: messages.auth.noSourceHint,
  });
}
