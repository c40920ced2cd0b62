// Recognises a Supabase connection-pooler URL from its shape alone, before any connection. Supabase's
// "Connect" panel offers (supabase.com/docs/guides/database/connecting-to-postgres):
//   direct connection      db.<ref>.supabase.co:5432              IPv6 (IPv4 with the IPv4 add-on)
//   Supavisor session      aws-<region>.pooler.supabase.com:5432  user postgres.<ref>
//   Supavisor transaction  aws-<region>.pooler.supabase.com:6543  user postgres.<ref>
//   dedicated PgBouncer    db.<ref>.supabase.co:6543
// Only the direct connection carries logical replication ("Connections through a pooler, such as
// Supavisor, will not work": supabase.com/docs/guides/database/replication/faq).

export type PoolerMode = 'session' | 'transaction';

export interface PoolerUrl {
  host: string;
  mode: PoolerMode;
  /** The project ref when the URL names it (the pooler user `postgres.<ref>`, or the db.<ref> host). */
  projectRef?: string;
}

/** Supabase's transaction-pooler port, on the shared pooler and on the dedicated one alike. */
export const POOLER_PORT = 6543;

export function supabasePooler(raw: string): PoolerUrl | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const hostname = url.hostname.toLowerCase();
  const port = url.port ? Number(url.port) : 5432;
  const shared = hostname.endsWith('.pooler.supabase.com');
  if (!shared && port !== POOLER_PORT) return undefined;
  const user = decodeURIComponent(url.username);
  const projectRef =
    /^[^.]+\.([a-z0-9]+)$/.exec(user)?.[1] ?? /^db\.([a-z0-9]+)\.supabase\.co$/.exec(hostname)?.[1];
  return {
    host: `${hostname}:${port}`,
    mode: port === POOLER_PORT ? 'transaction' : 'session',
    ...(projectRef ? { projectRef } : {}),
  };
}

/** Supabase's direct host, which is IPv6-only unless the project has the IPv4 add-on. */
export const isSupabaseDirectHost = (hostname: string): boolean =>
  /^db\.[a-z0-9]+\.supabase\.co$/i.test(hostname);
