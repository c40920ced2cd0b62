import type { Config } from '../../config/schema.js';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import {
  describeSet,
  type RecordChange,
  type RecordSet,
  type Route53Ops,
} from '../../providers/route53/records.js';
import {
  commit,
  currentOf,
  DNS_STEP,
  type DnsEntry,
  diffLines,
  journaledEntries,
  journaledZone,
  r53,
  refuseChanged,
  replace,
  resolveZone,
  route53Config,
  toJson,
  wantedSets,
  whereIs,
} from './dns-shared.js';
import { chooseDomain } from './hosting-domain.js';
import {
  amplifyConfig,
  appId,
  frontendSource,
  hostingEnabled,
  ops,
  unreadableCheck,
} from './hosting-shared.js';

// dns.records (phase 3, with target.route53): the Amplify certificate-validation record set in Route 53,
// and the TTL of the records cutover will switch lowered now, so the switch reaches resolvers fast.
// The exact record sets at each name are journaled before the first change; the switch itself is the
// hosting cutover's (dns-flip.ts), and rollback puts back exactly what was journaled.

const m = messages.dns;

async function domainOf(ctx: StepContext): Promise<string | undefined> {
  return chooseDomain(amplifyConfig(ctx).domain, await frontendSource(ctx).domains())?.domain;
}

interface Observed {
  zone: { id: string; name: string };
  entries: DnsEntry[];
  /** Entries whose current sets are not what the journal says this tool left (name -> diff). */
  current: Map<string, ReturnType<typeof whereIs>>;
  currentSets: Map<string, RecordSet[]>;
}

/** The association's records merged into the journaled entries (originals are never re-read once journaled). */
async function observe(ctx: StepContext, r: Route53Ops, domain: string): Promise<Observed | undefined> {
  const zone = await resolveZone(ctx, r, domain);
  const app = appId(ctx);
  const association = app ? await (await ops(ctx)).getDomain(app, domain) : undefined;
  if (!association) return { zone, entries: [], current: new Map(), currentSets: new Map() };
  const wanted = wantedSets(association, route53Config(ctx).ttl);
  if (!wanted.some((w) => w.role === 'validation'))
    throw new EngifyError({
      code: 'DNS_RECORDS_PENDING',
      kind: 'transient',
      message: m.recordsPending(domain),
      hint: m.recordsPendingHint,
    });
  for (const w of wanted)
    if (!(w.set.name === zone.name || w.set.name.endsWith(`.${zone.name}`)))
      throw new EngifyError({
        code: 'ROUTE53_ZONE_MISMATCH',
        kind: 'config',
        message: m.zoneMismatch(zone.name, zone.id, w.set.name),
        hint: m.zoneMismatchHint(domain),
      });
  const journaled = journaledEntries(ctx);
  const entries: DnsEntry[] = [];
  const current = new Map<string, ReturnType<typeof whereIs>>();
  const currentSets = new Map<string, RecordSet[]>();
  for (const w of wanted) {
    const key = `${w.set.name}|${w.set.type}`;
    const before = journaled.find((e) => `${e.name}|${e.type}` === key);
    const probe: DnsEntry = before
      ? { ...before, target: w.set }
      : { name: w.set.name, type: w.set.type, role: w.role, target: w.set, original: [] };
    const now = await currentOf(r, zone.id, probe);
    if (!before) probe.original = now;
    entries.push(probe);
    current.set(key, whereIs(probe, now));
    currentSets.set(key, now);
  }
  return { zone: { id: zone.id, name: zone.name }, entries, current, currentSets };
}

const key = (e: DnsEntry) => `${e.name}|${e.type}`;
const longTtl = (e: DnsEntry, ttl: number) => e.original.some((s) => s.ttl !== undefined && s.ttl > ttl);
const withTtl = (sets: DnsEntry['original'], ttl: number) =>
  sets.map((s) => (s.ttl !== undefined && s.ttl > ttl ? { ...s, ttl } : s));

/** The zone plan found the domain in, and the record lines it showed (switches happen at cutover). */
type DnsAction = PlannedAction<
  typeof DNS_STEP,
  | { kind: 'none' }
  | { kind: 'after-domain'; zoneId: string | null }
  | { kind: 'records'; zoneId: string; zone: Json; records: string[] }
>;

export const dnsRecordsStep: Step<DnsAction> = {
  id: DNS_STEP,
  phase: 3,
  component: 'hosting',
  title: 'DNS records of the domain in Route 53 (validation now, switch at cutover)',
  dependsOn: ['hosting.domain'],
  enabled: (config: Config) => hostingEnabled(config) && config.target.route53 !== undefined,

  async plan(ctx) {
    const domain = await domainOf(ctx);
    if (!domain)
      return [
        {
          action: 'noop',
          resource: 'route53 records',
          subject: DNS_STEP,
          summary: m.noDomain,
          details: { kind: 'none' },
        },
      ];
    const r = await r53(ctx);
    const seen = await observe(ctx, r, domain);
    const zone = seen?.zone;
    const resource = `route53 zone ${zone?.name.replace(/\.$/, '')} (${zone?.id})`;
    if (!seen || seen.entries.length === 0)
      return [
        {
          action: 'create',
          resource,
          subject: DNS_STEP,
          details: { kind: 'after-domain', zoneId: zone?.id ?? null },
          summary: `after hosting.domain: UPSERT the Amplify certificate-validation record of ${domain}, journal and lower the TTL of the records cutover switches`,
        },
      ];
    const ttl = route53Config(ctx).ttl;
    const lines: string[] = [];
    const warnings: string[] = [];
    let longest = 0;
    for (const e of seen.entries) {
      const where = seen.current.get(key(e));
      if (where === 'other')
        warnings.push(
          m.changedByOthers(e.name, diffLines(e.lowered ?? e.original, seen.currentSets.get(key(e)) ?? [])),
        );
      if (e.role === 'validation') {
        if (where !== 'target') lines.push(m.upsert(describeSet(e.target)));
        continue;
      }
      if (where === 'original' && longTtl(e, ttl)) {
        const from = Math.max(...e.original.map((s) => s.ttl ?? 0));
        longest = Math.max(longest, from);
        lines.push(m.lowerTtl(e.name, e.type, from, ttl));
      }
      lines.push(m.switchAtCutover(e.name, e.type, describeSet(e.target)));
    }
    if (longest > 0)
      warnings.push(m.waitBeforeCutover(longest, new Date(Date.now() + longest * 1000).toISOString()));
    const pending = lines.some((l) => !l.includes('at `cutover'));
    return [
      {
        action: pending ? 'update' : 'noop',
        resource,
        subject: DNS_STEP,
        summary: pending
          ? lines.filter((l) => !l.includes('at `cutover')).join('; ')
          : 'records in place; the switch is at cutover',
        details: { kind: 'records', zoneId: seen.zone.id, zone: seen.zone, records: lines },
        ...(warnings.length > 0 ? { warnings } : {}),
      },
    ];
  },

  async apply(ctx, change) {
    const domain = await domainOf(ctx);
    if (!domain || change.details.kind === 'none') return ctx.log(m.noDomain);
    const r = await r53(ctx);
    const seen = await observe(ctx, r, domain);
    const plannedZone = change.details.zoneId;
    if (plannedZone && seen && seen.zone.id !== plannedZone)
      throw planDrift(this.id, change.resource, `zone ${plannedZone}`, `zone ${seen.zone.id}`);
    if (!seen || seen.entries.length === 0)
      throw new EngifyError({
        code: 'DNS_NO_ASSOCIATION',
        kind: 'config',
        message: m.noAssociation(domain),
        hint: m.noAssociationHint,
      });
    const ttl = route53Config(ctx).ttl;
    // Refuse before anything is written: a name that holds neither what it held nor what we left.
    for (const e of seen.entries) {
      const now = seen.currentSets.get(key(e)) ?? [];
      if (seen.current.get(key(e)) === 'other') throw refuseChanged(e.name, e.lowered ?? e.original, now);
    }
    const changes: RecordChange[] = [];
    let previousTtl = 0;
    for (const e of seen.entries) {
      const where = seen.current.get(key(e));
      if (e.role === 'validation') {
        if (where !== 'target') changes.push({ action: 'UPSERT', set: e.target });
        continue;
      }
      if (where === 'original' && longTtl(e, ttl)) {
        previousTtl = Math.max(previousTtl, ...e.original.map((s) => s.ttl ?? 0));
        e.lowered = withTtl(e.original, ttl);
        changes.push(...e.lowered.map((set) => ({ action: 'UPSERT' as const, set })));
      }
    }
    // The journal point: the exact previous sets (and what will be left) are durable before any change.
    ctx.journal.output('zone', seen.zone);
    ctx.journal.output('entries', toJson(seen.entries));
    ctx.log(`${m.inZone(seen.zone.name, seen.zone.id)}: ${m.journaled(seen.entries.length)}`);
    for (const c of changes) ctx.log(m.upsert(describeSet(c.set)));
    await commit(ctx, r, seen.zone.id, changes, `engify-migrate ${ctx.config.project}: ${DNS_STEP}`, ctx.log);
    if (previousTtl > 0) {
      const at = new Date().toISOString();
      ctx.journal.output('lowered', { at, previousTtl });
      ctx.log(m.waitBeforeCutover(previousTtl, new Date(Date.parse(at) + previousTtl * 1000).toISOString()));
    }
    for (const e of seen.entries.filter((x) => x.role === 'traffic'))
      ctx.log(m.switchAtCutover(e.name, e.type, describeSet(e.target)));
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const zone = journaledZone(ctx);
      if (!zone) return checks;
      const r = await r53(ctx);
      for (const e of journaledEntries(ctx)) {
        const now = await currentOf(r, zone.id, e);
        const where = whereIs(e, now);
        const ok = e.role === 'validation' ? where === 'target' : where !== 'other';
        checks.push({
          name: `route53 ${e.name.replace(/\.$/, '')} ${e.type}`,
          expected: e.role === 'validation' ? describeSet(e.target) : 'as journaled, lowered or switched',
          actual: now.map(describeSet).join(', ') || 'absent',
          ok,
          ...(ok ? {} : { hint: m.changedByOthersHint }),
        });
      }
    } catch (error) {
      checks.push(unreadableCheck('route53 records', error));
    }
    return checks;
  },

  async rollback(ctx) {
    const zone = journaledZone(ctx);
    const entries = journaledEntries(ctx);
    if (!zone || entries.length === 0) return;
    await restoreOriginals(ctx, await r53(ctx), zone.id, entries, ctx.log);
  },
};

/** Puts back the journaled sets wherever this tool changed them; refuses (with a diff) anything else. */
export async function restoreOriginals(
  ctx: StepContext,
  r: Route53Ops,
  zoneId: string,
  entries: DnsEntry[],
  say: (m: string) => void,
): Promise<void> {
  const changes: RecordChange[] = [];
  let restored = 0;
  for (const e of entries) {
    const now = await currentOf(r, zoneId, e);
    const where = whereIs(e, now);
    if (where === 'original') continue;
    if (where === 'other') throw refuseChanged(e.name, e.lowered ?? [e.target], now);
    changes.push(...replace(now, e.original));
    restored += e.original.length || 1;
  }
  await commit(ctx, r, zoneId, changes, `engify-migrate ${ctx.config.project}: restore`, say);
  if (changes.length > 0) say(m.restored(restored));
}
