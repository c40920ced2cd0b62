import type { DomainAssociation } from '@aws-sdk/client-amplify';
import type { CreatedResource, Json } from '../../core/contracts.js';
import type { SourceDomain } from '../../core/hosting-source.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { dnsRecords } from '../../providers/amplify/app.js';
import {
  amplifyConfig,
  appId as currentAppId,
  frontendSource,
  hostingEnabled,
  ops,
  requireAppId,
  unreadableCheck,
} from './hosting-shared.js';

// hosting.domain: the custom domain on the Amplify production branch, and the DNS records the user
// must set (certificate validation + one CNAME per subdomain), printed and kept as an output.

const DOMAIN = 'amplify-domain';
const m = messages.hosting;

interface Desired {
  domain: string;
  prefixes: string[];
}

/** The domain from the config, else the apex of the first verified domain on the source. */
export function chooseDomain(configured: string | undefined, source: SourceDomain[]): Desired | undefined {
  const live = source.filter((d) => d.verified && !d.redirect);
  const apex = (name: string) => name.split('.').slice(-2).join('.');
  const domain = configured ?? (live[0] ? apex(live[0].name) : undefined);
  if (!domain) return undefined;
  const prefixes = new Set<string>();
  for (const d of source.filter((x) => x.verified)) {
    if (d.name === domain) prefixes.add('');
    else if (d.name.endsWith(`.${domain}`)) prefixes.add(d.name.slice(0, -domain.length - 1));
  }
  if (prefixes.size === 0) for (const p of ['', 'www']) prefixes.add(p);
  return { domain, prefixes: [...prefixes].sort() };
}

async function desired(ctx: StepContext): Promise<Desired | undefined> {
  return chooseDomain(amplifyConfig(ctx).domain, await frontendSource(ctx).domains());
}

const records = (a: DomainAssociation): Json => dnsRecords(a).map((r) => ({ ...r }));

function printRecords(ctx: StepContext, a: DomainAssociation) {
  ctx.log(m.dnsHeader(a.domainName ?? ''));
  for (const r of dnsRecords(a)) ctx.log(m.dnsRecord(r.name, r.type, r.value));
}

/** The domain association: none configured, `create` it, or it exists (with the records plan read). */
type DomainAction = PlannedAction<
  'domain',
  | { kind: 'none' }
  | { kind: 'create'; subdomains: string[] }
  | { kind: 'exists'; subdomains: string[]; dnsRecords: Json }
>;

export const hostingDomainStep: Step<DomainAction> = {
  id: 'hosting.domain',
  phase: 3,
  component: 'hosting',
  title: 'Custom domain on Amplify and the DNS records to set',
  dependsOn: ['hosting.app'],
  enabled: hostingEnabled,

  async plan(ctx) {
    const want = await desired(ctx);
    if (!want)
      return [
        {
          action: 'noop',
          resource: 'amplify domain',
          subject: 'domain',
          summary: m.noDomain,
          details: { kind: 'none' },
        },
      ];
    const app = currentAppId(ctx);
    const existing = app ? await (await ops(ctx)).getDomain(app, want.domain) : undefined;
    const subdomains = want.prefixes.map((p) => (p ? `${p}.${want.domain}` : want.domain));
    if (existing)
      return [
        {
          action: 'noop',
          resource: `amplify domain ${want.domain}`,
          summary: m.domainStatus(want.domain, existing.domainStatus ?? 'UNKNOWN'),
          subject: 'domain',
          details: { kind: 'exists', subdomains, dnsRecords: records(existing) },
        },
      ];
    return [
      {
        action: 'create',
        resource: `amplify domain ${want.domain}`,
        summary: `associate ${subdomains.join(', ')} with branch ${amplifyConfig(ctx).branch}; DNS records are printed after apply`,
        subject: 'domain',
        details: { kind: 'create', subdomains },
      },
    ];
  },

  async apply(ctx, change) {
    const want = await desired(ctx);
    if (!want || change.details.kind === 'none') {
      ctx.log(m.noDomain);
      return;
    }
    const appId = requireAppId(ctx);
    const branch = amplifyConfig(ctx).branch;
    const amplify = await ops(ctx);
    const resource: CreatedResource = { kind: DOMAIN, name: want.domain, id: appId };
    let association = await amplify.getDomain(appId, want.domain);
    const ours = [...ctx.journal.pendingIntents(), ...ctx.journal.createdResources()].some(
      (r) => r.kind === DOMAIN && r.name === want.domain && r.id === appId,
    );
    // Only `create` is ever applied (an existing association plans a noop): one that appeared since the
    // plan, not from an interrupted run of ours, belongs to someone else.
    if (association && !ours)
      throw planDrift(this.id, change.resource, 'no association', `association ${want.domain}`);
    if (!association) {
      ctx.journal.intent(resource);
      association = await amplify.createDomain(
        appId,
        want.domain,
        want.prefixes.map((prefix) => ({ prefix, branchName: branch })),
      );
      ctx.journal.created(resource);
      // The validation record appears once the association leaves CREATING.
      association = (await amplify.getDomain(appId, want.domain)) ?? association;
    } else if (
      ctx.journal.pendingIntents().some((r) => r.kind === DOMAIN && r.name === want.domain && r.id === appId)
    ) {
      ctx.journal.created(resource);
    }
    printRecords(ctx, association);
    ctx.journal.output('domain', want.domain);
    ctx.journal.output('dnsRecords', records(association));
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const want = await desired(ctx);
      if (!want) return checks;
      const app = currentAppId(ctx);
      const association = app ? await (await ops(ctx)).getDomain(app, want.domain) : undefined;
      const status = association?.domainStatus ?? 'missing';
      checks.push({
        name: `domain ${want.domain}`,
        expected: 'AVAILABLE',
        actual: status,
        ok: status === 'AVAILABLE',
        ...(status === 'AVAILABLE'
          ? {}
          : { hint: association ? m.domainPendingHint(want.domain) : m.missingAppHint }),
      });
      for (const s of association?.subDomains ?? []) {
        const name = s.subDomainSetting?.prefix ? `${s.subDomainSetting.prefix}.${want.domain}` : want.domain;
        checks.push({
          name: `subdomain ${name}`,
          expected: 'verified',
          actual: s.verified ? 'verified' : 'unverified',
          ok: s.verified === true,
          ...(s.verified ? {} : { hint: m.domainPendingHint(want.domain) }),
        });
      }
    } catch (error) {
      checks.push(unreadableCheck('amplify domain', error));
    }
    return checks;
  },

  async rollback(ctx) {
    const amplify = await ops(ctx);
    for (const r of [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()].filter(
      (x) => x.kind === DOMAIN,
    )) {
      // A pending intent's association is ours only if nobody had it before: it did not exist then.
      await amplify.deleteDomain(r.id as string, r.name);
      ctx.journal.undone({ resource: r });
    }
  },
};
