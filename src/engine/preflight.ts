import { createSocket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, isIP, type Socket } from 'node:net';
import { knownRegion } from '../config/aws-regions.js';
import type { Config } from '../config/schema.js';
import type { ComponentModule, Endpoint } from '../core/component.js';
import { EngifyError } from '../core/errors.js';
import { messages } from '../core/messages.js';

// Before planning, every service the config names must answer in its own protocol. A service that does
// not is a config or environment problem (exit 2) named by its JSON path, found before anything is
// written anywhere. A TCP connect alone is not an answer: a tunnel, port-forward or load balancer with
// nothing behind it accepts the connection and drops it, and the first step would then fail with exit 1.
// Which services, and what else to check, each component says (ComponentModule.endpoints/preflight);
// the AWS endpoints are everyone's.

/** Every endpoint the config names: the AWS overrides and each component's, once per config path. */
export function configuredEndpoints(config: Config, components: readonly ComponentModule[]): Endpoint[] {
  const out = new Map<string, Endpoint>();
  for (const [name, url] of Object.entries(config.target.aws.endpoints)) {
    if (typeof url === 'string')
      out.set(`target.aws.endpoints.${name}`, { path: `target.aws.endpoints.${name}`, url });
  }
  for (const c of components)
    for (const e of c.endpoints?.(config) ?? []) if (!out.has(e.path)) out.set(e.path, e);
  return [...out.values()];
}

/** What DNS gives for a host name (every address, in the resolver's order). */
export type AddressLookup = (host: string) => Promise<{ address: string; family: number }[]>;
/** Whether this machine has a route to the address (no packet needs to leave for that). */
export type RouteCheck = (address: string, family: 4 | 6) => Promise<boolean>;

export interface PreflightOptions {
  timeoutMs?: number;
  lookup?: AddressLookup;
  routable?: RouteCheck;
}

export interface PreflightResult {
  /** Problems that do not stop the run, for the command to show before it starts. */
  warnings: string[];
}

/** Everything checked before a command touches a live system; throws a config error (exit 2) on the first kind of problem. */
export async function preflight(
  config: Config,
  components: readonly ComponentModule[],
  options: PreflightOptions = {},
): Promise<PreflightResult> {
  const warnings: string[] = [];
  const region = config.target.aws.region;
  if (!(await knownRegion(region))) warnings.push(messages.config.unknownRegion('target.aws.region', region));
  const take = (found: { errors: EngifyError[]; warnings: string[] }) => {
    warnings.push(...found.warnings);
    if (found.errors[0]) throw found.errors[0];
  };
  for (const c of components) if (c.preflight?.before) take(c.preflight.before(config));
  await checkReachable(configuredEndpoints(config, components), options);
  for (const c of components) if (c.preflight?.after) take(await c.preflight.after(config));
  return { warnings };
}

export async function checkReachable(
  endpoints: readonly Endpoint[],
  options: PreflightOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const resolve = { lookup: options.lookup ?? systemLookup, routable: options.routable ?? hasRoute };
  const failures = (
    await Promise.all(
      endpoints.map(async (e) => {
        const host = hostnameOf(e.url);
        const noAddress = host ? await addressProblem(host, resolve) : undefined;
        if (noAddress) return { ...e, reason: noAddress, ipv6Only: noAddress.startsWith('resolves only') };
        const reason = await probe(e.url, timeoutMs);
        return reason ? { ...e, reason, ipv6Only: false } : undefined;
      }),
    )
  ).filter((x): x is Endpoint & { reason: string; ipv6Only: boolean } => x !== undefined);
  if (failures.length === 0) return;
  const lines = failures.map((f) => messages.config.unreachable(f.path, hostOf(f.url), f.reason));
  const ipv6Hint = failures.find((f) => f.ipv6Only && f.ipv6OnlyHint)?.ipv6OnlyHint;
  throw new EngifyError({
    code: 'ENDPOINT_UNREACHABLE',
    kind: 'config',
    message: lines.join('\n'),
    hint: ipv6Hint ?? messages.config.unreachableHint,
  });
}

/**
 * Why a host name gives this machine no address it can use: none at all, or only IPv6 addresses with no
 * IPv6 route (Supabase's direct host without the IPv4 add-on, seen from an IPv4-only network). Literal
 * addresses are left to the connection check.
 */
export async function addressProblem(
  host: string,
  deps: { lookup: AddressLookup; routable: RouteCheck },
): Promise<string | undefined> {
  if (isIP(host) !== 0) return undefined;
  let addresses: { address: string; family: number }[];
  try {
    addresses = await deps.lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return messages.config.noAddress(code);
    return undefined;
  }
  if (addresses.length === 0) return messages.config.noAddress(undefined);
  if (addresses.some((a) => a.family === 4)) return undefined;
  for (const a of addresses) if (await deps.routable(a.address, 6)) return undefined;
  return messages.config.ipv6Only(addresses.map((a) => a.address));
}

const systemLookup: AddressLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

// Connecting a UDP socket only asks the kernel for a route: ENETUNREACH / EHOSTUNREACH / EADDRNOTAVAIL
// mean there is none, and nothing is sent.
const hasRoute: RouteCheck = (address, family) =>
  new Promise((resolve) => {
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const finish = (ok: boolean) => {
      socket.close();
      resolve(ok);
    };
    socket.once('error', () => finish(false));
    socket.connect(9, address, () => finish(true));
  });

function hostnameOf(raw: string): string | undefined {
  try {
    return new URL(raw).hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}

export function hostOf(raw: string): string {
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
