import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngifyError } from '../../../../src/core/errors.js';
import { type Route53Ops, route53Ops, sameSets } from '../../../../src/providers/route53/records.js';
import { type Route53StandIn, startRoute53Api } from '../../../../src/sandbox/route53-api.js';

// The Route 53 provider against the stand-in, over HTTP with the real SDK client (REST/XML).

let api: Route53StandIn;
let ops: Route53Ops;
let client: Route53Client;
beforeAll(async () => {
  api = await startRoute53Api({ insyncAfterPolls: 2 });
  client = new Route53Client({
    region: 'us-east-1',
    endpoint: api.url,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  ops = await route53Ops(client);
});
afterAll(async () => {
  client.destroy();
  await api.close();
});

describe('route53 provider', () => {
  it('finds the zone of a domain or its parent, public only, and a zone by id', async () => {
    const zone = api.addZone('example.com');
    api.addZone('example.com', { privateZone: true });
    api.addZone('other.org');
    expect(await ops.zoneFor('app.example.com')).toEqual({
      id: zone,
      name: 'example.com.',
      privateZone: false,
    });
    expect(await ops.zoneFor('nothing.net')).toBeUndefined();
    expect((await ops.zoneById(zone)).name).toBe('example.com.');
    const get = api.requests.find((r) => r.path === '/2013-04-01/hostedzonesbyname');
    expect(get?.query.dnsname).toBe('app.example.com.');
  });

  it('reads, changes (UPSERT/DELETE/CREATE in one batch) and waits for INSYNC with an injected poll', async () => {
    const zone = api.addZone('shop.test');
    api.put(zone, { name: 'www.shop.test', type: 'CNAME', ttl: 3600, values: ['cname.vercel-dns.com'] });
    api.put(zone, { name: 'www.shop.test', type: 'TXT', ttl: 300, values: ['"x"'] });
    api.zones.get(zone)!.sets = api.zones
      .get(zone)!
      .sets.filter((s) => !(s.type === 'TXT' && s.name === 'www.shop.test.'));
    api.put(zone, { name: 'txt.shop.test', type: 'TXT', ttl: 300, values: ['"x"'] });
    api.put(zone, { name: 'zzz.shop.test', type: 'A', ttl: 300, values: ['1.2.3.4'] });
    const before = await ops.setsAt(zone, 'WWW.shop.test');
    expect(before.map((s) => s.type)).toEqual(['CNAME']);

    const id = await ops.change(
      zone,
      [
        { action: 'DELETE', set: before.find((s) => s.type === 'CNAME')! },
        {
          action: 'CREATE',
          set: { name: 'www.shop.test.', type: 'CNAME', ttl: 60, values: ['d1.cloudfront.net'] },
        },
        {
          action: 'UPSERT',
          set: {
            name: 'shop.test.',
            type: 'A',
            alias: {
              hostedZoneId: 'Z2FDTNDATAQYW2',
              dnsName: 'd1.cloudfront.net.',
              evaluateTargetHealth: false,
            },
          },
        },
      ],
      'engify test',
    );
    expect(id).toMatch(/^C[0-9A-F]+$/);
    const slept: number[] = [];
    await ops.waitInsync(id, { pollMs: 7, timeoutMs: 60_000, sleep: async (ms) => void slept.push(ms) });
    expect(slept).toEqual([7, 7]);
    const after = await ops.setsAt(zone, 'www.shop.test');
    expect(
      sameSets(
        after.filter((s) => s.type === 'CNAME'),
        [{ name: 'www.shop.test.', type: 'CNAME', ttl: 60, values: ['d1.cloudfront.net'] }],
      ),
    ).toBe(true);
    expect((await ops.setsAt(zone, 'shop.test')).find((s) => s.type === 'A')?.alias?.hostedZoneId).toBe(
      'Z2FDTNDATAQYW2',
    );
    expect(api.resolve('www.shop.test')).toEqual(['d1.cloudfront.net']);
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.path).toBe(`/2013-04-01/hostedzone/${zone}/rrset`);
    expect(post?.body).toContain('<Action>UPSERT</Action>');
  });

  it('pages through many sets at one name', async () => {
    const zone = api.addZone('many.test');
    for (let i = 0; i < 150; i++)
      api.put(zone, {
        name: 'a.many.test',
        type: 'A',
        setIdentifier: `w${String(i).padStart(3, '0')}`,
        ttl: 60,
        values: [`10.0.0.${i % 250}`],
      });
    api.put(zone, { name: 'b.many.test', type: 'A', ttl: 60, values: ['10.1.1.1'] });
    const sets = await ops.setsAt(zone, 'a.many.test');
    expect(sets).toHaveLength(150);
  });

  it('turns Route 53 refusals into config errors naming the record', async () => {
    const zone = api.addZone('refuse.test');
    const err = await ops
      .change(
        zone,
        [{ action: 'DELETE', set: { name: 'nope.refuse.test.', type: 'A', ttl: 60, values: ['1.1.1.1'] } }],
        'x',
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngifyError);
    expect((err as EngifyError).code).toBe('ROUTE53_INVALID_CHANGE_BATCH');
    expect((err as EngifyError).message).toMatch(/nope\.refuse\.test\..*not found/);
    const missing = await ops.setsAt('ZNOPE', 'x.test').catch((e: unknown) => e);
    expect((missing as EngifyError).code).toBe('ROUTE53_NO_SUCH_HOSTED_ZONE');
  });
});
