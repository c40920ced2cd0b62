import type { Config } from '../../../config/schema.js';
import type { Connect } from '../../../providers/postgres/snapshot.js';
import type { SourceDialect } from '../source-dialect.js';
import { PostgresDialect } from './postgres-dialect.js';
import { SqliteDialect } from './sqlite-dialect.js';
import { SupabaseDialect } from './supabase-dialect.js';

// The database sources, one entry each: the config path that selects it and how its dialect is built.
// The config schema allows one database source at most. Adding a source is one entry here (and its
// config section); the db steps only ever see the SourceDialect.

export interface DialectEnv {
  /** How a PostgreSQL-family dialect connects (the step maps a refused connection to its message). */
  connect(url: string): Connect;
}

interface DialectEntry {
  /** The config path that selects it, for the message when no source is set. */
  field: string;
  present(config: Config): boolean;
  make(config: Config, env: DialectEnv): SourceDialect;
}

export const SOURCE_DIALECTS: readonly DialectEntry[] = [
  {
    field: 'source.supabase.dbUrl',
    present: (c) => Boolean(c.source.supabase?.dbUrl),
    make: ({ source: { supabase } }, env) => {
      const url = supabase?.dbUrl ?? '';
      return new SupabaseDialect({
        url,
        schemas: supabase?.schemas ?? ['public'],
        fields: { location: 'source.supabase.dbUrl', schemas: 'source.supabase.schemas' },
        connect: env.connect(url),
      });
    },
  },
  {
    field: 'source.postgres.url',
    present: (c) => c.source.postgres !== undefined,
    make: ({ source: { postgres } }, env) => {
      const url = postgres?.url ?? '';
      return new PostgresDialect({
        url,
        schemas: postgres?.schemas ?? ['public'],
        fields: { location: 'source.postgres.url', schemas: 'source.postgres.schemas' },
        connect: env.connect(url),
      });
    },
  },
  {
    field: 'source.sqlite.path',
    present: (c) => c.source.sqlite !== undefined,
    make: ({ source: { sqlite } }) =>
      new SqliteDialect({ path: sqlite?.path ?? '', busyTimeoutMs: sqlite?.busyTimeoutMs ?? 2000 }),
  },
];

/** Whether a database source is configured (no connection is made). */
export const hasDbSource = (config: Config): boolean => SOURCE_DIALECTS.some((e) => e.present(config));

/** The configured source's dialect, or undefined when none is set. */
export function sourceDialectOf(config: Config, env: DialectEnv): SourceDialect | undefined {
  const entry = SOURCE_DIALECTS.find((e) => e.present(config));
  return entry?.make(config, env);
}

/** The config paths to name when no database source is configured. */
export const DIALECT_FIELDS = SOURCE_DIALECTS.map((e) => e.field).join(' or ');

const NOT_CONNECTED: DialectEnv = {
  connect: () => () => Promise.reject(new Error('this dialect was built without a connection')),
};

/** The configured source's dialect for what it declares (schemas, capture, its PostgreSQL URL): no I/O. */
export const declaredDialectOf = (config: Config): SourceDialect | undefined =>
  sourceDialectOf(config, NOT_CONNECTED);
