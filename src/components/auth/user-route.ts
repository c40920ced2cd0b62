import type { AuthConfig } from '../../config/schema.js';
import type { CognitoUserDraft } from './user-mapping.js';

// The path a user takes into the pool, shared by auth.users and the sync passes so both route alike.

export type Route = 'admin' | 'import' | 'lazy';

/** Which path a migrate-able user takes under the configured strategy. undefined: left out (fallback skip). */
export function routeOf(settings: AuthConfig, user: CognitoUserDraft): Route | undefined {
  if (settings.passwords === 'reset' || user.password.kind === 'none') return 'admin';
  if (user.password.kind === 'unsupported') return settings.fallback === 'reset' ? 'admin' : undefined;
  return settings.passwords === 'import-hashes' ? 'import' : 'lazy';
}
