import type { TranslateOptions } from '../schema/translate.js';
import { SUPABASE_INTERNAL_ROLES, SUPABASE_INTERNAL_SCHEMAS } from '../schema/translate.js';
import type { SourceInternals } from '../source-dialect.js';
import { PostgresDialect } from './postgres-dialect.js';

// A Supabase project's database: PostgreSQL, plus Supabase's own parts. Its auth and storage schemas
// (and the other service schemas) are never copied as application schemas, grants to its service roles
// are dropped, and auth.users / auth.uid() references are served by the target's auth shim.

export class SupabaseDialect extends PostgresDialect {
  override readonly kind: string = 'supabase';
  override readonly internals: SourceInternals = {
    schemas: [...SUPABASE_INTERNAL_SCHEMAS],
    roles: [...SUPABASE_INTERNAL_ROLES],
    authShim: true,
  };

  override translateOptions(): TranslateOptions {
    return { schemas: this.schemas, supabase: true, schemasField: this.fields.schemas };
  }
}
