import { connect } from 'node:net';
import type { Config } from '../config/schema.js';
import { EngifyError } from '../core/errors.js';
import { messages } from '../core/messages.js';

// Before planning, every endpoint named in the config must answer a TCP connect. An unreachable host
// is a config problem (exit 2) named by its JSON path, found before anything is written anywhere.

interface Endpoint {
  path: string;
  url: string;
}

export function configuredEndpoints(config: Config): Endpoint[] {
  const out: Endpoint[] = [];
  const add = (path: string, url: string | undefined) => {
    if (url) out.push({ path, url });
  };
  add('source.supabase.dbUrl', config.source.supabase?.dbUrl);
  add('source.postgres.url', config.source.postgres?.url);
  add('source.supabase.apiUrl', config.source.supabase?.apiUrl);
  add('source.supabase.storage.s3Endpoint', config.source.supabase?.storage?.s3Endpoint);
  add('source.qdrant.url', config.source.qdrant?.url);
  for (const [name, url] of Object.entries(config.target.aws.endpoints)) {
    add(`target.aws.endpoints.${name}`, typeof url === 'string' ? url : undefined);
  }
  if (config.target.rds?.mode === 'pg') add('target.rds.url', config.target.rds.url);
  return out;
}

export async function checkReachable(config: Config, timeoutMs = 3000): Promise<void> {
  const endpoints = configuredEndpoints(config);
  const failures = (
    await Promise.all(
      endpoints.map(async (e) => {
        const reason = await tryConnect(e.url, timeoutMs);
        return reason ? { ...e, reason } : undefined;
      }),
    )
  ).filter((x): x is Endpoint & { reason: string } => x !== undefined);
  if (failures.length === 0) return;
  const lines = failures.map((f) => {
    const u = new URL(f.url);
    return messages.config.unreachable(f.path, u.host, f.reason);
  });
  throw new EngifyError({
    code: 'ENDPOINT_UNREACHABLE',
    kind: 'config',
    message: lines.join('\n'),
    hint: messages.config.unreachableHint,
  });
}

function tryConnect(raw: string, timeoutMs: number): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return Promise.resolve('not a URL');
  }
  const defaults: Record<string, number> = {
    'http:': 80,
    'https:': 443,
    'postgres:': 5432,
    'postgresql:': 5432,
  };
  const port = url.port ? Number(url.port) : (defaults[url.protocol] ?? 443);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason?: string) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const why: Record<string, string> = {
        ECONNREFUSED: 'connection refused: nothing listens on that port',
        ENOTFOUND: 'host name not found',
        EAI_AGAIN: 'DNS lookup failed',
        EHOSTUNREACH: 'host unreachable',
        ENETUNREACH: 'network unreachable',
      };
      done(why[error.code ?? ''] ?? error.code ?? error.message);
    });
  });
}
