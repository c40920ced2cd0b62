import type { DomainAssociation } from '@aws-sdk/client-amplify';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { StepContext } from '../../core/step.js';
import { dnsRecords } from '../../providers/amplify/app.js';
import {
  describeSet,
  fqdn,
  type HostedZoneRef,
  type RecordChange,
  type RecordSet,
  type Route53Ops,
  route53Ops,
  sameSets,
} from '../../providers/route53/records.js';

// What dns.records and the hosting cutover share: the Route 53 zone of the domain, the record sets
// Amplify needs (certificate validation + one per subdomain), and the entries journaled before the
// first change: for each name, the exact record sets this tool replaces (`original`), what it left
// there ahead of cutover (`lowered`: the same sets with a short TTL) and what Amplify needs (`target`).
// Every write first checks that the name still holds what this tool last left there; anything else
// was changed by someone else and is refused with a diff, never overwritten.

export const DNS_STEP = 'dns.records';
/** CloudFront's fixed hosted zone id for alias records (Route 53 AliasTarget reference). */
export const CLOUDFRONT_ZONE = 'Z2FDTNDATAQYW2';
const m = messages.dns;

export interface DnsEntry {
  name: string;
  type: string;
  role: 'validation' | 'traffic';
  target: RecordSet;
  original: RecordSet[];
  lowered?: RecordSet[];
}

declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'dns.records': {
      zone: { id: string; name: string };
      entries: DnsEntry[];
      /** When the TTLs were lowered (ISO), and the longest TTL they had before. */
      lowered: { at: string; previousTtl: number };
    };
  }
}

export function toJson(entries: DnsEntry[]): Json {
  return JSON.parse(JSON.stringify(entries)) as Json;
}

export async function r53(ctx: StepContext): Promise<Route53Ops> {
  return route53Ops(await ctx.services.route53());
}

export function route53Config(ctx: StepContext) {
  const c = ctx.config.target.route53;
  if (!c)
    throw new EngifyError({
      code: 'CONFIG_SECTION_MISSING',
      kind: 'config',
      message: messages.config.needsSection('target.route53', DNS_STEP),
    });
  return c;
}

const contains = (zone: string, name: string) => fqdn(name) === zone || fqdn(name).endsWith(`.${zone}`);

/** The zone from target.route53.hostedZone (name or Z... id), else the closest public zone of the domain. */
export async function resolveZone(ctx: StepContext, ops: Route53Ops, domain: string): Promise<HostedZoneRef> {
  const given = route53Config(ctx).hostedZone;
  let zone: HostedZoneRef | undefined;
  if (given && /^(\/hostedzone\/)?Z[A-Z0-9]{4,}$/.test(given)) zone = await ops.zoneById(given);
  else if (given) zone = await ops.zoneNamed(given);
  else zone = await ops.zoneFor(domain);
  if (!zone)
    throw new EngifyError({
      code: 'ROUTE53_ZONE_NOT_FOUND',
      kind: 'config',
      message: given
        ? `target.route53.hostedZone "${given}": ${m.zoneNotFound(given)}`
        : m.zoneNotFound(domain),
      hint: m.zoneNotFoundHint(domain),
    });
  if (!contains(zone.name, domain))
    throw new EngifyError({
      code: 'ROUTE53_ZONE_MISMATCH',
      kind: 'config',
      message: m.zoneMismatch(zone.name, given ?? zone.id, domain),
      hint: m.zoneMismatchHint(domain),
    });
  return zone;
}

/** The record sets Amplify needs for an association, in Route 53's shape. */
export function wantedSets(
  association: DomainAssociation,
  ttl: number,
): { role: DnsEntry['role']; set: RecordSet }[] {
  const domain = fqdn(association.domainName ?? '');
  return dnsRecords(association).map((r) => {
    const name = fqdn(r.name);
    const value = r.value;
    const role: DnsEntry['role'] = r.name.startsWith('_') ? 'validation' : 'traffic';
    // A CNAME cannot sit at a zone apex: Route 53 points the apex at CloudFront with an alias A record.
    if (name === domain && role === 'traffic')
      return {
        role,
        set: {
          name,
          type: 'A',
          alias: { hostedZoneId: CLOUDFRONT_ZONE, dnsName: fqdn(value), evaluateTargetHealth: false },
        },
      };
    return { role, set: { name, type: 'CNAME', ttl, values: [value] } };
  });
}

/** The sets at a name that a target replaces: the same type, and address records beside a CNAME. */
export function replacedBy(target: RecordSet, atName: RecordSet[]): RecordSet[] {
  const types = target.type === 'CNAME' ? ['CNAME', 'A', 'AAAA'] : [target.type];
  return atName.filter((s) => types.includes(s.type) && s.setIdentifier === undefined);
}

export function diffLines(expected: RecordSet[], found: RecordSet[]): string[] {
  const lines = [
    ...expected.map((s) => `- ${describeSet(s)}   (as this tool left it)`),
    ...found.map((s) => `+ ${describeSet(s)}   (there now)`),
  ];
  return lines.length > 0 ? lines : ['(no record set either way)'];
}

export function refuseChanged(name: string, expected: RecordSet[], found: RecordSet[]): EngifyError {
  return new EngifyError({
    code: 'DNS_CHANGED_BY_OTHERS',
    kind: 'config',
    message: m.changedByOthers(name, diffLines(expected, found)),
    hint: m.changedByOthersHint,
  });
}

/** The changes that take a name from `current` to `next` (exact DELETEs, then CREATEs, one batch). */
export function replace(current: RecordSet[], next: RecordSet[]): RecordChange[] {
  return [
    ...current.map((set) => ({ action: 'DELETE' as const, set })),
    ...next.map((set) => ({ action: 'CREATE' as const, set })),
  ];
}

export function journaledEntries(ctx: StepContext): DnsEntry[] {
  return (ctx.journal.outputOf(DNS_STEP, 'entries') ?? []) as DnsEntry[];
}

export function journaledZone(ctx: StepContext): { id: string; name: string } | undefined {
  return ctx.journal.outputOf(DNS_STEP, 'zone');
}

/** What sits now at an entry's name, limited to the sets its target replaces. */
export async function currentOf(ops: Route53Ops, zoneId: string, e: DnsEntry): Promise<RecordSet[]> {
  return replacedBy(e.target, await ops.setsAt(zoneId, e.name));
}

export type Where = 'original' | 'lowered' | 'target' | 'other';

export function whereIs(e: DnsEntry, current: RecordSet[]): Where {
  if (sameSets(current, [e.target])) return 'target';
  if (e.lowered && sameSets(current, e.lowered)) return 'lowered';
  if (sameSets(current, e.original)) return 'original';
  return 'other';
}

export async function commit(
  ctx: StepContext,
  ops: Route53Ops,
  zoneId: string,
  changes: RecordChange[],
  comment: string,
  say: (m: string) => void,
): Promise<void> {
  if (changes.length === 0) return;
  const c = route53Config(ctx);
  const id = await ops.change(zoneId, changes, comment);
  await ops.waitInsync(id, { pollMs: c.pollIntervalMs, timeoutMs: c.timeoutMs });
  say(m.changed(id));
}
