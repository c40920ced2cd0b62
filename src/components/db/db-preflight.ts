import type { Config } from '../../config/schema.js';
import type { Endpoint, PreflightFindings } from '../../core/component.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { isSupabaseDirectHost, supabasePooler } from '../../providers/supabase/pooler.js';
import { dbSourceOf } from './db-source.js';

// What the db component checks before anything runs: the source and target databases answer, and the
// Supabase URL is the direct connection, not a pooler.

const hostnameOf = (raw: string) => {
  try {
    return new URL(raw).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
};

export function dbEndpoints(config: Config): Endpoint[] {
  const out: Endpoint[] = [];
  const source = dbSourceOf(config);
  if (source)
    out.push({
      path: source.urlField,
      url: source.url,
      ...(isSupabaseDirectHost(hostnameOf(source.url))
        ? { ipv6OnlyHint: messages.config.supabaseIpv6OnlyHint }
        : {}),
    });
  // A provisioned instance has no URL in the config: db.instance waits for its endpoint instead.
  const rds = config.target.rds;
  if (rds?.mode === 'pg' && rds.url) out.push({ path: 'target.rds.url', url: rds.url });
  return out;
}

/**
 * A pooler URL in source.supabase.dbUrl, from its shape alone. db.copy takes its snapshot from a
 * replication slot that sync then reads, and no Supabase pooler carries a replication connection.
 */
export function poolerProblem(config: Config): EngifyError | undefined {
  const url = config.source.supabase?.dbUrl;
  const pooler = url ? supabasePooler(url) : undefined;
  if (!pooler) return undefined;
  return new EngifyError({
    code: 'SOURCE_DB_POOLER',
    kind: 'config',
    message: messages.config.poolerUrl('source.supabase.dbUrl', pooler.host, pooler.mode),
    hint: messages.config.poolerUrlHint('source.supabase.dbUrl', pooler.projectRef),
  });
}

/** A pooler stops the run only when the database is migrated (db.copy runs); auth alone works through one. */
export function dbPreflightBefore(config: Config): PreflightFindings {
  const pooled = poolerProblem(config);
  if (!pooled) return { errors: [], warnings: [] };
  return config.target.rds ? { errors: [pooled], warnings: [] } : { errors: [], warnings: [pooled.message] };
}
