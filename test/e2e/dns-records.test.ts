import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Route53StandIn,
  type StandInRecordSet,
  startRoute53Api,
} from '../../src/sandbox/route53-api.js';
import { runCli } from '../helpers/cli.js';
import {
  appOf,
  type DeployStack,
  type DeployWorkspace,
  deployWorkspace,
  startDeployStack,
} from './deploy-fixture.js';

// dns.records and the DNS part of the hosting cutover through the built CLI, against the Route 53
// stand-in: validation record and lowered TTLs at apply, the switch to Amplify and back to the exact
// journaled record sets, a record changed by someone else refused with a diff, rollback, kill -9 at
// the journal point then a rerun, and a hosted zone that does not hold the domain.

let stack: DeployStack;
let r53: Route53StandIn;
let hold: (() => Promise<void>) | undefined;
beforeAll(async () => {
  stack = await startDeployStack(20);
  r53 = await startRoute53Api({ beforeChange: () => hold?.() ?? Promise.resolve() });
});
afterAll(async () => {
  await r53.close();
  await stack.close();
});

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
const cli = (ws: DeployWorkspace, ...args: string[]) =>
  runCli(['--config', ws.configPath, '--verbose', ...args], { env: ws.env });

const APEX_A: Omit<StandInRecordSet, 'name'> = { type: 'A', ttl: 3600, values: ['76.76.21.21'] };
const WWW: Omit<StandInRecordSet, 'name'> = { type: 'CNAME', ttl: 3600, values: ['cname.vercel-dns.com'] };

function dnsWorkspace(route53: Record<string, unknown> = {}) {
  const ws = deployWorkspace(stack);
  const domain = `${ws.project}.test`;
  ws.config.target.amplify.domain = domain;
  ws.config.target.aws.endpoints.route53 = r53.url;
  ws.config.target.route53 = { pollIntervalMs: 1, ...route53 };
  ws.write();
  const zone = r53.addZone(domain);
  r53.put(zone, { name: domain, ...APEX_A });
  r53.put(zone, { name: `www.${domain}`, ...WWW });
  r53.put(zone, { name: domain, type: 'MX', ttl: 3600, values: ['10 mail.example.net.'] });
  return { ws, domain, zone };
}

const at = (zone: string, name: string, type: string) =>
  r53.setsAt(zone, name).filter((s) => s.type === type);

function makeAvailable(ws: DeployWorkspace, domain: string) {
  stack.amplify.setDomainStatus(appOf(stack, ws.appName)?.app.appId as string, domain, 'AVAILABLE');
}

describe('dns.records through the CLI', () => {
  it('sets the validation record, lowers TTLs, switches at cutover and back exactly, refuses a foreign change, rolls back', async () => {
    const { ws, domain, zone } = dnsWorkspace();
    const apply = await cli(ws, 'apply', '--yes');
    expect(apply.code, out(apply)).toBe(0);
    expect(out(apply)).toMatch(/lower|TTL/);
    const validation = r53.zones.get(zone)?.sets.find((s) => s.name.startsWith('_') && s.type === 'CNAME');
    expect(validation?.values?.[0]).toMatch(/acm-validations\.aws\.$/);
    expect(at(zone, `www.${domain}`, 'CNAME')).toEqual([{ name: `www.${domain}.`, ...WWW, ttl: 60 }]);
    expect(at(zone, domain, 'A')).toEqual([{ name: `${domain}.`, ...APEX_A, ttl: 60 }]);
    expect(out(apply)).toMatch(/wait at least 3600 s/);

    // A rerun changes nothing, and the plan says so.
    const changesBefore = r53.requests.filter((r) => r.method === 'POST').length;
    const again = await cli(ws, 'apply', '--phase', '3', '--yes');
    expect(again.code, out(again)).toBe(0);
    expect(r53.requests.filter((r) => r.method === 'POST').length).toBe(changesBefore);

    makeAvailable(ws, domain);
    const toTarget = await cli(ws, 'cutover', '--component', 'hosting', '--to', 'target', '--yes');
    expect(toTarget.code, out(toTarget)).toBe(0);
    expect(out(toTarget)).toMatch(/now point at Amplify/);
    const cf = at(zone, `www.${domain}`, 'CNAME')[0]?.values?.[0] as string;
    expect(cf).toMatch(/^d[0-9a-f]+\.cloudfront\.net$/);
    expect(at(zone, domain, 'A')[0]?.alias).toEqual({
      hostedZoneId: 'Z2FDTNDATAQYW2',
      dnsName: `${cf}.`,
      evaluateTargetHealth: false,
    });
    expect(r53.resolve(`www.${domain}`)).toEqual([cf]);
    expect(at(zone, domain, 'MX')).toHaveLength(1);

    const toSource = await cli(ws, 'cutover', '--component', 'hosting', '--to', 'source', '--yes');
    expect(toSource.code, out(toSource)).toBe(0);
    expect(out(toSource)).toMatch(/restored to the record sets journaled/);
    expect(at(zone, `www.${domain}`, 'CNAME')).toEqual([{ name: `www.${domain}.`, ...WWW }]);
    expect(at(zone, domain, 'A')).toEqual([{ name: `${domain}.`, ...APEX_A }]);
    expect(r53.resolve(domain)).toEqual(['76.76.21.21']);

    // Switched again, then someone repoints www by hand: the way back refuses, shows the diff, writes nothing.
    const again2 = await cli(ws, 'cutover', '--component', 'hosting', '--to', 'target', '--yes');
    expect(again2.code, out(again2)).toBe(0);
    r53.put(zone, { name: `www.${domain}`, type: 'CNAME', ttl: 300, values: ['someone-else.example.net'] });
    const posts = r53.requests.filter((r) => r.method === 'POST').length;
    const refused = await cli(ws, 'cutover', '--component', 'hosting', '--to', 'source', '--yes');
    expect(refused.code, out(refused)).not.toBe(0);
    expect(out(refused)).toMatch(/changed by someone else/);
    expect(out(refused)).toMatch(
      new RegExp(`- www\\.${ws.project}\\.test\\. CNAME ${cf.replace(/\./g, '\\.')}`),
    );
    expect(out(refused)).toMatch(/\+ www\..* CNAME someone-else\.example\.net TTL 300/);
    expect(r53.requests.filter((r) => r.method === 'POST').length).toBe(posts);
    expect(at(zone, domain, 'A')[0]?.alias).toBeDefined();

    // Put back as the tool left it: the way back and the rollback go through.
    r53.put(zone, { name: `www.${domain}`, type: 'CNAME', ttl: 60, values: [cf] });
    const back = await cli(ws, 'cutover', '--component', 'hosting', '--to', 'source', '--yes');
    expect(back.code, out(back)).toBe(0);
    const rollback = await cli(ws, 'rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
    expect(at(zone, `www.${domain}`, 'CNAME')).toEqual([{ name: `www.${domain}.`, ...WWW }]);
    expect(at(zone, domain, 'A')).toEqual([{ name: `${domain}.`, ...APEX_A }]);
    expect(r53.zones.get(zone)?.sets.some((s) => s.name.startsWith('_'))).toBe(false);
    expect(r53.zones.get(zone)?.sets).toHaveLength(5); // NS, SOA, A, MX, www CNAME
  });

  it.each([
    ['the change is applied as the client dies', true],
    ['the change never reaches Route 53', false],
  ])('kill -9 at the journal point (%s), then a rerun ends as a clean run', async (_when, lands) => {
    const { ws, domain, zone } = dnsWorkspace();
    const journal = join(ws.dir, '.engify', 'journal.jsonl');
    let release: () => void = () => undefined;
    hold = () =>
      new Promise<void>((resolve, reject) => {
        release = () => (lands ? resolve() : reject(new Error('connection lost')));
      });
    const postsBefore = r53.requests.filter((r) => r.method === 'POST').length;
    const killed = await runCli(['--config', ws.configPath, 'apply', '--yes'], {
      env: ws.env,
      onSpawn: (child) => {
        const watch = setInterval(() => {
          const text = existsSync(journal) ? readFileSync(journal, 'utf8') : '';
          if (
            /"stepId":"dns\.records","key":"entries"/.test(text) &&
            r53.requests.filter((r) => r.method === 'POST').length > postsBefore
          ) {
            child.kill('SIGKILL');
            clearInterval(watch);
          }
        }, 2);
        child.on('exit', () => {
          clearInterval(watch);
          setTimeout(() => release(), 20);
        });
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    hold = undefined;
    await new Promise((r) => setTimeout(r, 50));
    expect(at(zone, `www.${domain}`, 'CNAME')[0]?.ttl).toBe(lands ? 60 : 3600);

    if (!lands) {
      // The association exists now: the plan says what it will lower, and from when cutover is safe.
      const plan = await cli(ws, 'plan', '--phase', '3');
      expect(plan.code, out(plan)).toBe(0);
      expect(out(plan)).toMatch(
        new RegExp(`lower the TTL of www\\.${ws.project}\\.test CNAME from 3600 s to 60 s`),
      );
      expect(out(plan)).toMatch(/wait at least 3600 s after this apply .*not before \d{4}-\d\d-\d\dT/);
    }
    const rerun = await cli(ws, 'apply', '--yes');
    expect(rerun.code, out(rerun)).toBe(0);
    expect(at(zone, `www.${domain}`, 'CNAME')).toEqual([{ name: `www.${domain}.`, ...WWW, ttl: 60 }]);
    expect(at(zone, domain, 'A')).toEqual([{ name: `${domain}.`, ...APEX_A, ttl: 60 }]);
    expect(r53.zones.get(zone)?.sets.filter((s) => s.name.startsWith('_'))).toHaveLength(1);
    // What was journaled is what stood before this tool (TTL 3600), not what the killed run left.
    const rollback = await cli(ws, 'rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
    expect(at(zone, `www.${domain}`, 'CNAME')).toEqual([{ name: `www.${domain}.`, ...WWW }]);
    expect(at(zone, domain, 'A')).toEqual([{ name: `${domain}.`, ...APEX_A }]);
  });

  it('refuses a hosted zone that does not hold the domain, and a domain without any zone, before anything is created', async () => {
    const other = `other${process.pid}.test`;
    r53.addZone(other);
    const { ws } = dnsWorkspace({ hostedZone: other });
    const r = await cli(ws, 'apply', '--yes');
    expect(r.code, out(r)).toBe(2);
    expect(out(r)).toMatch(
      new RegExp(
        `target\\.route53\\.hostedZone is ${other} .*does not contain the domain ${ws.project}\\.test`,
      ),
    );
    expect(appOf(stack, ws.appName)).toBeUndefined();

    const lone = deployWorkspace(stack);
    lone.config.target.amplify.domain = `${lone.project}.nowhere`;
    lone.config.target.aws.endpoints.route53 = r53.url;
    lone.config.target.route53 = {};
    lone.write();
    const r2 = await cli(lone, 'plan');
    expect(r2.code, out(r2)).toBe(2);
    expect(out(r2)).toMatch(/No public Route 53 hosted zone holds .*\.nowhere/);
    expect(out(r2)).toMatch(/target\.route53\.hostedZone/);
  });
});
