import { describe, expect, it } from 'vitest';
import { components } from '../../../src/components/registry.js';
import { EngifyError } from '../../../src/core/errors.js';
import { parseConfig } from '../../../src/core/load-config.js';
import {
  type AddressLookup,
  addressProblem,
  checkReachable,
  configuredEndpoints,
} from '../../../src/engine/preflight.js';

// The address check with an injected resolver and route check: what DNS says and whether this machine
// can route to it are the two facts the check turns into a message, so both are given here.

const SUPABASE_DIRECT = 'db.abcdefghijklmnop.supabase.co';
const config = (dbUrl: string) =>
  parseConfig(
    JSON.stringify({
      project: 'preflight-test',
      source: { supabase: { dbUrl } },
      target: { aws: { region: 'eu-west-1' } },
    }),
    '/tmp/preflight-test/migrations.config.json',
    {},
  ).config;
/** The endpoints the registry's components name for that config (the db component's, here). */
const endpoints = (dbUrl: string) => configuredEndpoints(config(dbUrl), components);

const aaaaOnly: AddressLookup = async () => [{ address: '2600:1f18:2e13:9d00::1', family: 6 }];
const notFound: AddressLookup = async (host) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const noRoute = async () => false;
const routed = async () => true;

async function refusal(run: Promise<void>): Promise<EngifyError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EngifyError);
  return error as EngifyError;
}

describe('addressProblem', () => {
  it('names an IPv6-only host on a machine with no IPv6 route', async () => {
    const why = await addressProblem(SUPABASE_DIRECT, { lookup: aaaaOnly, routable: noRoute });
    expect(why).toContain('resolves only to IPv6 (2600:1f18:2e13:9d00::1)');
    expect(why).toContain('no IPv6 route');
  });

  it('passes an IPv6-only host when the machine can route to it', async () => {
    expect(await addressProblem(SUPABASE_DIRECT, { lookup: aaaaOnly, routable: routed })).toBeUndefined();
  });

  it('passes a host with an IPv4 address beside the unroutable IPv6 one', async () => {
    const both: AddressLookup = async () => [
      { address: '2600:1f18:2e13:9d00::1', family: 6 },
      { address: '203.0.113.7', family: 4 },
    ];
    expect(await addressProblem(SUPABASE_DIRECT, { lookup: both, routable: noRoute })).toBeUndefined();
  });

  it('names a host with no address at all', async () => {
    expect(await addressProblem('db.gone.supabase.co', { lookup: notFound, routable: routed })).toBe(
      'no address: the host name does not resolve (DNS: ENOTFOUND)',
    );
    const empty: AddressLookup = async () => [];
    expect(await addressProblem('db.gone.supabase.co', { lookup: empty, routable: routed })).toBe(
      'no address: the host name does not resolve (DNS: no records)',
    );
  });

  it('leaves literal addresses to the connection check', async () => {
    expect(await addressProblem('127.0.0.1', { lookup: notFound, routable: noRoute })).toBeUndefined();
  });
});

describe('checkReachable on a Supabase direct host', () => {
  it('refuses an IPv6-only direct host on an IPv4-only machine, naming the field and the IPv4 add-on', async () => {
    const e = await refusal(
      checkReachable(endpoints(`postgres://postgres:pw@${SUPABASE_DIRECT}:5432/postgres`), {
        lookup: aaaaOnly,
        routable: noRoute,
      }),
    );
    expect(e.kind).toBe('config');
    expect(e.message).toContain(`source.supabase.dbUrl: cannot reach ${SUPABASE_DIRECT}:5432`);
    expect(e.message).toContain('resolves only to IPv6');
    expect(e.hint).toContain('IPv4 add-on');
    expect(e.message + e.hint).not.toContain('pw');
  });

  it('refuses a host with no address before any connection is tried', async () => {
    const e = await refusal(
      checkReachable(endpoints(`postgres://postgres@${SUPABASE_DIRECT}:5432/postgres`), {
        lookup: notFound,
        routable: routed,
      }),
    );
    expect(e.message).toContain('source.supabase.dbUrl');
    expect(e.message).toContain('no address');
  });
});
