import { randomBytes } from 'node:crypto';
import {
  matchRoute,
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// A stand-in for the Route 53 REST/XML routes dns.records calls, as @aws-sdk/client-route-53 calls
// them (API version 2013-04-01): ListHostedZonesByName, ListResourceRecordSets,
// ChangeResourceRecordSets (CREATE/DELETE/UPSERT, all-or-nothing, with Route 53's refusals: a CREATE of
// an existing set, a DELETE whose values differ, a CNAME beside other records or at the apex, a name
// outside the zone) and GetChange (PENDING, then INSYNC after `insyncAfterPolls` reads, so tests
// never sleep). It records every request it got.

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

export interface StandInRecordSet {
  name: string;
  type: string;
  ttl?: number;
  values?: string[];
  alias?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean };
  setIdentifier?: string;
}

export interface StandInZone {
  id: string;
  name: string;
  privateZone: boolean;
  sets: StandInRecordSet[];
}

export interface Route53StandInOptions {
  /** GetChange answers PENDING this many times before INSYNC (default 1). */
  insyncAfterPolls?: number;
  /** Called before a change batch is applied (a test can hold it to kill the client mid-change). */
  beforeChange?: () => Promise<void>;
}

export interface Route53StandIn extends RunningStandIn {
  zones: Map<string, StandInZone>;
  /** Adds a public (or private) zone with its apex SOA and NS; returns its id. */
  addZone(name: string, options?: { privateZone?: boolean; id?: string }): string;
  /** Puts a record set as another tool or a person would (replacing the same name/type/identifier). */
  put(zoneId: string, set: StandInRecordSet): void;
  /** The record sets at a name (fully qualified or not), any type. */
  setsAt(zoneId: string, name: string): StandInRecordSet[];
  /** Answers a name like a resolver reading this zone: follows CNAMEs and aliases inside it. */
  resolve(name: string): string[];
}

const fq = (n: string) => {
  const l = n.trim().toLowerCase().replace(/\\052/g, '*');
  return l.endsWith('.') ? l : `${l}.`;
};
/** Route 53's order: by name with the labels reversed (com.example.www), then type. */
const reversed = (n: string) => fq(n).slice(0, -1).split('.').reverse().join('.');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unesc = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

/** Enough XML for the SDK's request bodies: elements and text, attributes ignored. */
function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#root', children: [], text: '' };
  const stack: XmlNode[] = [root];
  const re = /<\?[^>]*\?>|<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>|([^<]+)/g;
  for (const m of xml.matchAll(re)) {
    const top = stack[stack.length - 1] as XmlNode;
    if (m[4] !== undefined) top.text += unesc(m[4]);
    else if (!m[2]) continue;
    else if (m[1]) stack.pop();
    else {
      const node: XmlNode = { name: m[2], children: [], text: '' };
      top.children.push(node);
      if (!m[3]) stack.push(node);
    }
  }
  return root;
}
const child = (n: XmlNode | undefined, name: string) => n?.children.find((c) => c.name === name);
const children = (n: XmlNode | undefined, name: string) => n?.children.filter((c) => c.name === name) ?? [];
const text = (n: XmlNode | undefined, name: string) => child(n, name)?.text.trim();

function setFromXml(n: XmlNode | undefined): StandInRecordSet {
  const set: StandInRecordSet = { name: fq(text(n, 'Name') ?? ''), type: text(n, 'Type') ?? '' };
  const id = text(n, 'SetIdentifier');
  if (id !== undefined) set.setIdentifier = id;
  const ttl = text(n, 'TTL');
  if (ttl !== undefined) set.ttl = Number(ttl);
  const records = child(n, 'ResourceRecords');
  if (records) set.values = children(records, 'ResourceRecord').map((r) => text(r, 'Value') ?? '');
  const alias = child(n, 'AliasTarget');
  if (alias)
    set.alias = {
      hostedZoneId: text(alias, 'HostedZoneId') ?? '',
      dnsName: fq(text(alias, 'DNSName') ?? ''),
      evaluateTargetHealth: text(alias, 'EvaluateTargetHealth') === 'true',
    };
  return set;
}

function setXml(s: StandInRecordSet): string {
  return [
    '<ResourceRecordSet>',
    `<Name>${esc(s.name)}</Name><Type>${s.type}</Type>`,
    s.setIdentifier !== undefined ? `<SetIdentifier>${esc(s.setIdentifier)}</SetIdentifier>` : '',
    s.alias
      ? `<AliasTarget><HostedZoneId>${s.alias.hostedZoneId}</HostedZoneId><DNSName>${esc(s.alias.dnsName)}</DNSName><EvaluateTargetHealth>${s.alias.evaluateTargetHealth}</EvaluateTargetHealth></AliasTarget>`
      : `<TTL>${s.ttl ?? 300}</TTL><ResourceRecords>${(s.values ?? []).map((v) => `<ResourceRecord><Value>${esc(v)}</Value></ResourceRecord>`).join('')}</ResourceRecords>`,
    '</ResourceRecordSet>',
  ].join('');
}

const xml = (status: number, body: string): StandInReply => ({
  status,
  headers: { 'content-type': 'text/xml' },
  raw: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});
const error = (status: number, code: string, message: string) =>
  xml(
    status,
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`,
  );
/** Route 53 answers a refused batch with its own root element, one Message per refusal. */
const invalidBatch = (messages: string[]) =>
  xml(
    400,
    `<InvalidChangeBatch xmlns="${NS}"><Messages>${messages.map((m) => `<Message>${esc(m)}</Message>`).join('')}</Messages><RequestId>${randomBytes(8).toString('hex')}</RequestId></InvalidChangeBatch>`,
  );

const sameKey = (a: StandInRecordSet, b: StandInRecordSet) =>
  fq(a.name) === fq(b.name) && a.type === b.type && (a.setIdentifier ?? '') === (b.setIdentifier ?? '');
const sameValue = (a: StandInRecordSet, b: StandInRecordSet) =>
  (a.ttl ?? null) === (b.ttl ?? null) &&
  JSON.stringify([...(a.values ?? [])].sort()) === JSON.stringify([...(b.values ?? [])].sort()) &&
  JSON.stringify(a.alias ?? null) === JSON.stringify(b.alias ?? null);

export async function startRoute53Api(options: Route53StandInOptions = {}): Promise<Route53StandIn> {
  const zones = new Map<string, StandInZone>();
  const changes = new Map<string, { submittedAt: string; polls: number; comment?: string }>();
  const insyncAfter = options.insyncAfterPolls ?? 1;

  const sorted = (z: StandInZone) =>
    [...z.sets].sort(
      (a, b) =>
        reversed(a.name).localeCompare(reversed(b.name)) ||
        a.type.localeCompare(b.type) ||
        (a.setIdentifier ?? '').localeCompare(b.setIdentifier ?? ''),
    );

  const inZone = (z: StandInZone, name: string) => fq(name) === z.name || fq(name).endsWith(`.${z.name}`);

  function applyBatch(z: StandInZone, batch: { action: string; set: StandInRecordSet }[]): string[] {
    const next = z.sets.map((s) => ({ ...s }));
    const refusals: string[] = [];
    const label = (s: StandInRecordSet) =>
      `[name='${s.name}', type='${s.type}'${s.setIdentifier ? `, set-identifier='${s.setIdentifier}'` : ''}]`;
    for (const { action, set } of batch) {
      if (!inZone(z, set.name)) {
        refusals.push(`RRSet with DNS name ${set.name} is not permitted in zone ${z.name}`);
        continue;
      }
      const at = next.findIndex((s) => sameKey(s, set));
      if (action === 'CREATE' || action === 'UPSERT') {
        if (action === 'CREATE' && at >= 0) {
          refusals.push(`Tried to create resource record set ${label(set)} but it already exists`);
          continue;
        }
        if (set.type === 'CNAME' && fq(set.name) === z.name) {
          refusals.push(
            `RRSet of type CNAME with DNS name ${set.name} is not permitted at apex in zone ${z.name}`,
          );
          continue;
        }
        if (at >= 0) next[at] = set;
        else next.push(set);
      } else if (action === 'DELETE') {
        if (at < 0) refusals.push(`Tried to delete resource record set ${label(set)} but it was not found`);
        else if (!sameValue(next[at] as StandInRecordSet, set))
          refusals.push(
            `Tried to delete resource record set ${label(set)} but the values provided do not match the current values`,
          );
        else next.splice(at, 1);
      } else refusals.push(`Unknown action ${action}`);
    }
    // A CNAME cannot share its name with any other record (RFC 1034), checked on the result.
    for (const c of next.filter((s) => s.type === 'CNAME'))
      if (next.some((s) => fq(s.name) === fq(c.name) && s.type !== 'CNAME'))
        refusals.push(
          `RRSet of type CNAME with DNS name ${c.name} is not permitted as it conflicts with other records with the same DNS name in zone ${z.name}`,
        );
    if (refusals.length === 0) z.sets = next;
    return [...new Set(refusals)];
  }

  const handler = async (req: RecordedRequest): Promise<StandInReply> => {
    if (req.method === 'GET' && req.path === '/2013-04-01/hostedzonesbyname') {
      const max = Number(req.query.maxitems ?? 100);
      const start = req.query.dnsname ? reversed(req.query.dnsname) : '';
      const all = [...zones.values()]
        .sort((a, b) => reversed(a.name).localeCompare(reversed(b.name)) || a.id.localeCompare(b.id))
        .filter((z) => reversed(z.name) >= start);
      const page = all.slice(0, max);
      const next = all[max];
      return xml(
        200,
        `<ListHostedZonesByNameResponse xmlns="${NS}"><HostedZones>${page
          .map(
            (z) =>
              `<HostedZone><Id>/hostedzone/${z.id}</Id><Name>${z.name}</Name><CallerReference>${z.id}</CallerReference><Config><PrivateZone>${z.privateZone}</PrivateZone></Config><ResourceRecordSetCount>${z.sets.length}</ResourceRecordSetCount></HostedZone>`,
          )
          .join(
            '',
          )}</HostedZones>${req.query.dnsname ? `<DNSName>${esc(req.query.dnsname)}</DNSName>` : ''}<IsTruncated>${next !== undefined}</IsTruncated>${
          next ? `<NextDNSName>${next.name}</NextDNSName><NextHostedZoneId>${next.id}</NextHostedZoneId>` : ''
        }<MaxItems>${max}</MaxItems></ListHostedZonesByNameResponse>`,
      );
    }
    const rrset = matchRoute('/2013-04-01/hostedzone/{id}/rrset', req.path);
    if (rrset) {
      const z = zones.get(rrset.id as string);
      if (!z) return error(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${rrset.id}`);
      if (req.method === 'GET') {
        const max = Number(req.query.maxitems ?? 300);
        const all = sorted(z);
        let from = 0;
        if (req.query.name) {
          const n = reversed(req.query.name);
          const t = req.query.type ?? '';
          const id = req.query.identifier ?? '';
          from = all.findIndex(
            (s) =>
              reversed(s.name) > n ||
              (reversed(s.name) === n &&
                (s.type.localeCompare(t) > 0 ||
                  (s.type.localeCompare(t) === 0 && (s.setIdentifier ?? '').localeCompare(id) >= 0))),
          );
          if (from < 0) from = all.length;
        }
        const page = all.slice(from, from + max);
        const next = all[from + max];
        return xml(
          200,
          `<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${page.map(setXml).join('')}</ResourceRecordSets><IsTruncated>${next !== undefined}</IsTruncated>${
            next
              ? `<NextRecordName>${next.name}</NextRecordName><NextRecordType>${next.type}</NextRecordType>${next.setIdentifier ? `<NextRecordIdentifier>${esc(next.setIdentifier)}</NextRecordIdentifier>` : ''}`
              : ''
          }<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`,
        );
      }
      if (req.method === 'POST') {
        const doc = parseXml(req.body);
        const batch = child(child(doc, 'ChangeResourceRecordSetsRequest'), 'ChangeBatch');
        const list = children(child(batch, 'Changes'), 'Change').map((c) => ({
          action: text(c, 'Action') ?? '',
          set: setFromXml(child(c, 'ResourceRecordSet')),
        }));
        if (list.length === 0) return error(400, 'InvalidInput', 'Invalid XML ; ChangeBatch has no Change');
        await options.beforeChange?.();
        const refusals = applyBatch(z, list);
        if (refusals.length > 0) return invalidBatch(refusals);
        const id = `C${randomBytes(10).toString('hex').toUpperCase()}`;
        const submittedAt = new Date().toISOString();
        const comment = text(batch, 'Comment');
        changes.set(id, { submittedAt, polls: 0, ...(comment ? { comment } : {}) });
        return xml(
          200,
          `<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/${id}</Id><Status>PENDING</Status><SubmittedAt>${submittedAt}</SubmittedAt>${comment ? `<Comment>${esc(comment)}</Comment>` : ''}</ChangeInfo></ChangeResourceRecordSetsResponse>`,
        );
      }
    }
    const change = matchRoute('/2013-04-01/change/{id}', req.path);
    if (change && req.method === 'GET') {
      const c = changes.get(change.id as string);
      if (!c)
        return error(
          404,
          'NoSuchChange',
          `A change with the specified change ID does not exist: ${change.id}`,
        );
      c.polls += 1;
      const status = c.polls > insyncAfter ? 'INSYNC' : 'PENDING';
      return xml(
        200,
        `<GetChangeResponse xmlns="${NS}"><ChangeInfo><Id>/change/${change.id}</Id><Status>${status}</Status><SubmittedAt>${c.submittedAt}</SubmittedAt></ChangeInfo></GetChangeResponse>`,
      );
    }
    return error(404, 'UnknownOperationException', `No route for ${req.method} ${req.path}`);
  };

  const running = await startStandIn(handler);
  let counter = 0;
  const api: Route53StandIn = {
    ...running,
    zones,
    addZone(name, opts = {}) {
      counter += 1;
      const id =
        opts.id ?? `Z${String(counter).padStart(4, '0')}${randomBytes(6).toString('hex').toUpperCase()}`;
      const zname = fq(name);
      zones.set(id, {
        id,
        name: zname,
        privateZone: opts.privateZone ?? false,
        sets: [
          { name: zname, type: 'NS', ttl: 172800, values: ['ns-1.awsdns-00.com.', 'ns-2.awsdns-00.net.'] },
          {
            name: zname,
            type: 'SOA',
            ttl: 900,
            values: ['ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400'],
          },
        ],
      });
      return id;
    },
    put(zoneId, set) {
      const z = zones.get(zoneId);
      if (!z) throw new Error(`no zone ${zoneId}`);
      const s = { ...set, name: fq(set.name) };
      z.sets = [...z.sets.filter((x) => !sameKey(x, s)), s];
    },
    setsAt(zoneId, name) {
      return (zones.get(zoneId)?.sets ?? []).filter((s) => s.name === fq(name));
    },
    resolve(name) {
      let n = fq(name);
      for (let hop = 0; hop < 8; hop++) {
        const z = [...zones.values()]
          .filter((x) => inZone(x, n))
          .sort((a, b) => b.name.length - a.name.length)[0];
        const sets = z?.sets.filter((s) => s.name === n) ?? [];
        const cname = sets.find((s) => s.type === 'CNAME');
        const a = sets.find((s) => s.type === 'A');
        if (cname?.values?.[0]) n = fq(cname.values[0]);
        else if (a?.alias) n = a.alias.dnsName;
        else if (a?.values) return a.values;
        else return [n.replace(/\.$/, '')];
      }
      return [n];
    },
  };
  return api;
}
