import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { Config } from '../config/schema.js';
import { messages } from '../ui/messages.js';
import { EngifyError } from './errors.js';

// Before planning, every endpoint named in the config must answer in its own protocol. A service that
// does not is a config or environment problem (exit 2) named by its JSON path, found before anything is
// written anywhere. A TCP connect alone is not an answer: a tunnel, port-forward or load balancer with
// nothing behind it accepts the connection and drops it, and the first step would then fail with exit 1.

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
  add('source.supabase.apiUrl', config.source.supabase?.apiUrl);
  add('source.supabase.storage.s3Endpoint', config.source.supabase?.storage?.s3Endpoint);
  add('source.qdrant.url', config.source.qdrant?.url);
  for (const [name, url] of Object.entries(config.target.aws.endpoints)) {
    add(`target.aws.endpoints.${name}`, typeof url === 'string' ? url : undefined);
  }
  if (config.target.rds?.mode === 'pg') add('target.rds.url', config.target.rds.url);
  return out;
}

export interface PreflightOptions {
  timeoutMs?: number;
}

export async function checkReachable(config: Config, options: PreflightOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const endpoints = configuredEndpoints(config);
  const failures = (
    await Promise.all(
      endpoints.map(async (e) => {
        const reason = await probe(e.url, timeoutMs);
        return reason ? { ...e, reason } : undefined;
      }),
    )
  ).filter((x): x is Endpoint & { reason: string } => x !== undefined);
  if (failures.length === 0) return;
  const lines = failures.map((f) => messages.config.unreachable(f.path, hostOf(f.url), f.reason));
  throw new EngifyError({
    code: 'ENDPOINT_UNREACHABLE',
    kind: 'config',
    message: lines.join('\n'),
    hint: messages.config.unreachableHint,
  });
}

function hostOf(raw: string): string {
  try {
    return new URL(raw).host;
  } catch {
    return raw;
  }
}

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: messages.config.unreachableWhy.refused,
  ENOTFOUND: messages.config.unreachableWhy.notFound,
  EAI_AGAIN: messages.config.unreachableWhy.dnsFailed,
  EHOSTUNREACH: messages.config.unreachableWhy.hostUnreachable,
  ENETUNREACH: messages.config.unreachableWhy.networkUnreachable,
  ECONNRESET: messages.config.unreachableWhy.dropped,
};

const why = (error: NodeJS.ErrnoException) => CONNECT_ERRORS[error.code ?? ''] ?? error.code ?? error.message;

/** Resolves to undefined when the service answered, else to the reason it did not. */
function probe(raw: string, timeoutMs: number): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return Promise.resolve(messages.config.unreachableWhy.notUrl);
  }
  if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return probePostgres(url, timeoutMs);
  if (url.protocol === 'http:' || url.protocol === 'https:') return probeHttp(url, timeoutMs);
  return Promise.resolve(undefined);
}

// The SSLRequest packet (length 8, code 80877103): every PostgreSQL server, and the poolers in front of
// them, answer it with one byte ('S' or 'N') before any authentication, so it proves a server is there
// without a password and without holding a connection slot.
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

function probePostgres(url: URL, timeoutMs: number): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 5432;
  return new Promise((resolve) => {
    const socket: Socket = connect({ host, port });
    let settled = false;
    const done = (reason?: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(messages.config.unreachableWhy.noAnswer(timeoutMs)));
    socket.once('connect', () => socket.write(SSL_REQUEST));
    socket.once('data', (chunk: Buffer) => {
      const answer = String.fromCharCode(chunk[0] ?? 0);
      // 'E' is an old server refusing SSLRequest with an error message: still a PostgreSQL server.
      done(
        answer === 'S' || answer === 'N' || answer === 'E'
          ? undefined
          : messages.config.unreachableWhy.notPostgres,
      );
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(why(error)));
    socket.once('close', () => done(messages.config.unreachableWhy.dropped));
  });
}

function probeHttp(url: URL, timeoutMs: number): Promise<string | undefined> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (reason?: string) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(reason);
    };
    // Any HTTP status is an answer: the service is there, and the steps report what it said.
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      done(undefined);
    });
    req.once('timeout', () => done(messages.config.unreachableWhy.noAnswer(timeoutMs)));
    req.once('error', (error: NodeJS.ErrnoException) =>
      done(error.message === 'socket hang up' ? messages.config.unreachableWhy.dropped : why(error)),
    );
    req.end();
  });
}
