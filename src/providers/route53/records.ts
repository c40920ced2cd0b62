import type { ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { EngifyError, isTransient, toEngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';

// Thin, typed operations on one Route 53 hosted zone: find the zone of a domain, read the record sets
// at a name, change them in one transactional batch, and wait for the change to be INSYNC. Record sets
// are kept in a plain JSON shape (RecordSet) so they can be journaled and compared exactly.

/** One record set, as journaled: names are lower-case and fully qualified (trailing dot). */
export interface RecordSet {
  name: string;
  type: string;
  ttl?: number;
  values?: string[];
  alias?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean };
  /** Weighted/latency/... sets: kept so they are restored exactly (never created by this tool). */
  setIdentifier?: string;
  [extra: string]: unknown;
}

export interface HostedZoneRef {
  id: string;
  /** Fully qualified, trailing dot. */
  name: string;
  privateZone: boolean;
}

export type RecordChange = { action: 'CREATE' | 'DELETE' | 'UPSERT'; set: RecordSet };

const m = () => messages.dns;

/** example.com -> example.com. ; Route 53 answers names lower-case with a trailing dot (and \052 for *). */
export function fqdn(name: string): string {
  const lower = name.trim().toLowerCase().replace(/\\052/g, '*');
  return lower.endsWith('.') ? lower : `${lower}.`;
}

export function bareZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

function fromSdk(s: ResourceRecordSet): RecordSet {
  const out: RecordSet = { name: fqdn(s.Name ?? ''), type: s.Type ?? '' };
  if (s.SetIdentifier !== undefined) out.setIdentifier = s.SetIdentifier;
  if (s.TTL !== undefined) out.ttl = s.TTL;
  if (s.ResourceRecords) out.values = s.ResourceRecords.map((r) => r.Value ?? '');
  if (s.AliasTarget)
    out.alias = {
      hostedZoneId: s.AliasTarget.HostedZoneId ?? '',
      dnsName: fqdn(s.AliasTarget.DNSName ?? ''),
      evaluateTargetHealth: s.AliasTarget.EvaluateTargetHealth ?? false,
    };
  // Routing policies this tool never sets: carried through unchanged so a restore is exact.
  for (const k of ['Weight', 'Region', 'Failover', 'MultiValueAnswer', 'HealthCheckId'] as const)
    if (s[k] !== undefined) out[k] = s[k];
  return out;
}

function toSdk(r: RecordSet): ResourceRecordSet {
  const extra: Record<string, unknown> = {};
  for (const k of ['Weight', 'Region', 'Failover', 'MultiValueAnswer', 'HealthCheckId'])
    if (r[k] !== undefined) extra[k] = r[k];
  return {
    Name: r.name,
    Type: r.type as ResourceRecordSet['Type'],
    ...(r.setIdentifier !== undefined ? { SetIdentifier: r.setIdentifier } : {}),
    ...(r.alias
      ? {
          AliasTarget: {
            HostedZoneId: r.alias.hostedZoneId,
            DNSName: r.alias.dnsName,
            EvaluateTargetHealth: r.alias.evaluateTargetHealth,
          },
        }
      : { TTL: r.ttl, ResourceRecords: (r.values ?? []).map((Value) => ({ Value })) }),
    ...extra,
  };
}

/** A stable one-line reading of a record set, for diffs and logs. */
export function describeSet(r: RecordSet): string {
  const target = r.alias
    ? `ALIAS ${r.alias.dnsName} (zone ${r.alias.hostedZoneId})`
    : `${(r.values ?? []).join(' ')} TTL ${r.ttl ?? '-'}`;
  return `${r.name} ${r.type}${r.setIdentifier ? ` [${r.setIdentifier}]` : ''} ${target}`;
}

/** Same record set, value for value (order of values does not matter in DNS). */
export function sameSet(a: RecordSet, b: RecordSet): boolean {
  // Key order does not matter (journaled sets come back from JSON): compare a canonical form.
  const norm = (r: RecordSet) =>
    JSON.stringify(
      Object.keys(r)
        .filter((k) => r[k] !== undefined)
        .sort()
        .map((k) => {
          const v = r[k];
          if (k === 'values' && Array.isArray(v)) return [k, [...v].sort()];
          if (k === 'alias' && r.alias)
            return [k, [r.alias.hostedZoneId, fqdn(r.alias.dnsName), r.alias.evaluateTargetHealth]];
          return [k, v];
        }),
    );
  return norm(a) === norm(b);
}

export function sameSets(a: readonly RecordSet[], b: readonly RecordSet[]): boolean {
  if (a.length !== b.length) return false;
  const key = (r: RecordSet) => `${r.type}|${r.setIdentifier ?? ''}`;
  const sorted = (x: readonly RecordSet[]) => [...x].sort((p, q) => key(p).localeCompare(key(q)));
  const sa = sorted(a);
  const sb = sorted(b);
  return sa.every((r, i) => sameSet(r, sb[i] as RecordSet));
}

export function route53Error(e: unknown, what: string): EngifyError {
  if (e instanceof EngifyError) return e;
  // Route 53 answers a refused batch with an <InvalidChangeBatch> root holding <Messages>, which the
  // SDK's REST-XML error parser does not name: recognise it by its Messages.
  const batch = (e as { Messages?: { Message?: string | string[] } } | null)?.Messages?.Message;
  const name = batch !== undefined ? 'InvalidChangeBatch' : e instanceof Error ? e.name : '';
  const detail = batch !== undefined ? [batch].flat().join('; ') : e instanceof Error ? e.message : String(e);
  if (['NoSuchHostedZone', 'InvalidChangeBatch', 'InvalidInput', 'AccessDenied'].includes(name))
    return new EngifyError({
      code: `ROUTE53_${name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`,
      kind: 'config',
      message: m().failed(what, `${name}: ${detail}`),
      hint: m().failedHint,
      cause: e,
    });
  return toEngifyError(e, {
    code: 'ROUTE53_FAILED',
    kind: isTransient(e) || name === 'PriorRequestNotComplete' ? 'transient' : 'system',
    message: m().failed(what, detail),
    hint: m().failedHint,
  });
}

export interface WaitOptions {
  pollMs: number;
  timeoutMs: number;
  /** Injectable for tests: how to wait between two GetChange calls. */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function route53Ops(client: Route53Client) {
  const r = await import('@aws-sdk/client-route-53');
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw route53Error(e, what);
    }
  };

  const ops = {
    /** The public hosted zone with exactly this name, if any (ListHostedZonesByName starts at it). */
    async zoneNamed(name: string): Promise<HostedZoneRef | undefined> {
      const want = fqdn(name);
      const out = await wrap(`list hosted zones named ${want}`, () =>
        client.send(new r.ListHostedZonesByNameCommand({ DNSName: want, MaxItems: 10 })),
      );
      const zone = (out.HostedZones ?? []).find((z) => fqdn(z.Name ?? '') === want && !z.Config?.PrivateZone);
      return zone
        ? { id: bareZoneId(zone.Id ?? ''), name: want, privateZone: zone.Config?.PrivateZone ?? false }
        : undefined;
    },

    /** The closest public zone holding `domain`: itself, else each parent in turn. */
    async zoneFor(domain: string): Promise<HostedZoneRef | undefined> {
      const labels = fqdn(domain).slice(0, -1).split('.');
      for (let i = 0; i < labels.length - 1; i++) {
        const found = await ops.zoneNamed(labels.slice(i).join('.'));
        if (found) return found;
      }
      return undefined;
    },

    /** A zone given by id: its name is its SOA record's (the first sets listed are the apex NS/SOA). */
    async zoneById(id: string): Promise<HostedZoneRef> {
      const out = await wrap(`read hosted zone ${id}`, () =>
        client.send(new r.ListResourceRecordSetsCommand({ HostedZoneId: bareZoneId(id), MaxItems: 10 })),
      );
      const soa = (out.ResourceRecordSets ?? []).find((s) => s.Type === 'SOA');
      if (!soa?.Name)
        throw new EngifyError({
          code: 'ROUTE53_NO_SOA',
          kind: 'system',
          message: m().noSoa(id),
          hint: m().failedHint,
        });
      return { id: bareZoneId(id), name: fqdn(soa.Name), privateZone: false };
    },

    /** Every record set at exactly `name` (any type), read from the zone. */
    async setsAt(zoneId: string, name: string): Promise<RecordSet[]> {
      const want = fqdn(name);
      const found: RecordSet[] = [];
      let start: { name?: string; type?: string; id?: string } = { name: want };
      for (;;) {
        const out = await wrap(`read record sets at ${want}`, () =>
          client.send(
            new r.ListResourceRecordSetsCommand({
              HostedZoneId: bareZoneId(zoneId),
              StartRecordName: start.name,
              StartRecordType: start.type as ResourceRecordSet['Type'],
              StartRecordIdentifier: start.id,
              MaxItems: 100,
            }),
          ),
        );
        const page = (out.ResourceRecordSets ?? []).map(fromSdk);
        found.push(...page.filter((s) => s.name === want));
        // Sets are listed in name order: once past `want`, there is nothing more of it.
        if (!out.IsTruncated || page.some((s) => s.name !== want)) break;
        const next = { name: out.NextRecordName, type: out.NextRecordType, id: out.NextRecordIdentifier };
        if (next.name && fqdn(next.name) !== want) break;
        // The same start again would read the same page forever.
        if (JSON.stringify(next) === JSON.stringify(start)) break;
        start = next;
      }
      return found;
    },

    /** One transactional batch (all or nothing); returns the change id to wait on. */
    async change(zoneId: string, changes: RecordChange[], comment: string): Promise<string> {
      const out = await wrap(`change record sets in zone ${zoneId}`, () =>
        client.send(
          new r.ChangeResourceRecordSetsCommand({
            HostedZoneId: bareZoneId(zoneId),
            ChangeBatch: {
              Comment: comment,
              Changes: changes.map((c) => ({ Action: c.action, ResourceRecordSet: toSdk(c.set) })),
            },
          }),
        ),
      );
      return (out.ChangeInfo?.Id ?? '').replace(/^\/change\//, '');
    },

    /** Polls GetChange until the change reached every Route 53 name server (INSYNC). */
    async waitInsync(changeId: string, wait: WaitOptions): Promise<void> {
      const sleep = wait.sleep ?? realSleep;
      const deadline = Date.now() + wait.timeoutMs;
      for (;;) {
        const out = await wrap(`read change ${changeId}`, () =>
          client.send(new r.GetChangeCommand({ Id: changeId })),
        );
        if (out.ChangeInfo?.Status === 'INSYNC') return;
        if (Date.now() >= deadline)
          throw new EngifyError({
            code: 'ROUTE53_NOT_INSYNC',
            kind: 'transient',
            message: m().notInsync(changeId, wait.timeoutMs),
            hint: m().notInsyncHint,
          });
        await sleep(wait.pollMs);
      }
    },
  };
  return ops;
}

export type Route53Ops = Awaited<ReturnType<typeof route53Ops>>;
