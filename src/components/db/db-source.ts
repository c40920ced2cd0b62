import type { Config } from '../../config/schema.js';

// The database the db component reads: a Supabase project's database, or any PostgreSQL (Neon, a
// self-hosted server). Everything PostgreSQL is the same for all of them; `supabase` says whether
// Supabase's own parts (auth and storage schemas, its roles, auth.uid()) are there to translate. Adding
// a PostgreSQL-compatible source is its config section plus one line in DB_SOURCES.

export interface DbSource {
  url: string;
  schemas: string[];
  supabase: boolean;
  /** The config paths of the URL and of the schema list, for messages that name them. */
  urlField: string;
  schemasField: string;
}

interface DbSourceEntry {
  /** The config path of its URL, for the message when none is set. */
  urlField: string;
  read(config: Config): DbSource | undefined;
}

export const DB_SOURCES: readonly DbSourceEntry[] = [
  {
    urlField: 'source.supabase.dbUrl',
    read: ({ source: { supabase } }) =>
      supabase?.dbUrl
        ? {
            url: supabase.dbUrl,
            schemas: supabase.schemas,
            supabase: true,
            urlField: 'source.supabase.dbUrl',
            schemasField: 'source.supabase.schemas',
          }
        : undefined,
  },
  {
    urlField: 'source.postgres.url',
    read: ({ source: { postgres } }) =>
      postgres
        ? {
            url: postgres.url,
            schemas: postgres.schemas,
            supabase: false,
            urlField: 'source.postgres.url',
            schemasField: 'source.postgres.schemas',
          }
        : undefined,
  },
];

/** The configured database source (the config schema allows one at most). */
export function dbSourceOf(config: Config): DbSource | undefined {
  for (const entry of DB_SOURCES) {
    const found = entry.read(config);
    if (found) return found;
  }
  return undefined;
}

/** The config paths to name when no database source is configured. */
export const DB_SOURCE_FIELDS = DB_SOURCES.map((e) => e.urlField).join(' or ');
