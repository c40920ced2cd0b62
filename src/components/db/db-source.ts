import type { Config } from '../../config/schema.js';

// The database the db component reads: a Supabase project's database, or any PostgreSQL (Neon, a
// self-hosted server). Everything PostgreSQL is the same for both; `supabase` says whether Supabase's
// own parts (auth and storage schemas, its roles, auth.uid()) are there to translate.

export interface DbSource {
  url: string;
  schemas: string[];
  supabase: boolean;
  /** The config paths of the URL and of the schema list, for messages that name them. */
  urlField: string;
  schemasField: string;
}

export function dbSourceOf(config: Config): DbSource | undefined {
  const { supabase, postgres } = config.source;
  if (postgres)
    return {
      url: postgres.url,
      schemas: postgres.schemas,
      supabase: false,
      urlField: 'source.postgres.url',
      schemasField: 'source.postgres.schemas',
    };
  if (supabase?.dbUrl)
    return {
      url: supabase.dbUrl,
      schemas: supabase.schemas,
      supabase: true,
      urlField: 'source.supabase.dbUrl',
      schemasField: 'source.supabase.schemas',
    };
  return undefined;
}

/** The config path to name when no database source is configured. */
export const DB_SOURCE_FIELDS = 'source.supabase.dbUrl or source.postgres.url';
