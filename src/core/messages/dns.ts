// User-facing text of the DNS records (Route 53). Reached as messages.dns.

const bare = (name: string) => name.replace(/\.$/, '');

export const dnsMessages = {
  failed: (what: string, detail: string) => `Route 53 could not ${what}: ${detail}.`,
  failedHint:
    'Check that the credentials may use route53:ListHostedZonesByName, ListResourceRecordSets, ChangeResourceRecordSets and GetChange on the zone, and that target.route53.hostedZone names the right zone.',
  noSoa: (id: string) => `Route 53 hosted zone ${id} lists no SOA record, so its name is unknown.`,
  notInsync: (id: string, ms: number) =>
    `Route 53 change ${id} was not INSYNC after ${Math.round(ms / 1000)} s.`,
  notInsyncHint:
    'The change is applied and still propagating: rerun the same command later (it waits for the same change again).',
  zoneNotFound: (domain: string) =>
    `No public Route 53 hosted zone holds ${domain} or any of its parent domains.`,
  zoneNotFoundHint: (domain: string) =>
    `Create a public hosted zone for ${domain} (and delegate the domain to its name servers), or set target.route53.hostedZone to the zone's name or id.`,
  zoneMismatch: (zone: string, id: string, domain: string) =>
    `target.route53.hostedZone is ${id} (zone ${bare(zone)}), which does not contain the domain ${domain}.`,
  zoneMismatchHint: (domain: string) =>
    `Set target.route53.hostedZone to the zone of ${domain} (its name, e.g. "${domain}", or its id "Z..."), or change target.amplify.domain.`,
  privateZone: (zone: string) =>
    `Route 53 zone ${bare(zone)} is private: the public cannot resolve records there.`,
  noDomain:
    'No custom domain (target.amplify.domain, or a verified domain on the source): no DNS record to set in Route 53.',
  noAssociation: (domain: string) =>
    `The Amplify domain association of ${domain} is not there yet: apply hosting.domain first.`,
  noAssociationHint: 'Run `engify-migrate apply --phase 3` (hosting.domain runs before dns.records).',
  recordsPending: (domain: string) =>
    `Amplify has not given the DNS records of ${domain} yet (the association is still being created).`,
  recordsPendingHint: 'Rerun `engify-migrate apply --phase 3` in a minute.',
  upsert: (set: string) => `UPSERT ${set}`,
  lowerTtl: (name: string, type: string, from: number, to: number) =>
    `lower the TTL of ${bare(name)} ${type} from ${from} s to ${to} s now, so the cutover switch reaches resolvers within ${to} s`,
  waitBeforeCutover: (seconds: number, at: string) =>
    `wait at least ${seconds} s after this apply (the old TTL) before \`cutover --component hosting --to target\`: not before ${at}`,
  switchAtCutover: (name: string, type: string, target: string) =>
    `${bare(name)} ${type} -> ${target} at \`cutover --component hosting --to target\` (journaled first, restored by --to source)`,
  inZone: (zone: string, id: string) => `Route 53 zone ${bare(zone)} (${id})`,
  journaled: (count: number) => `journaled the ${count} record set(s) there before any change`,
  changed: (id: string) => `Route 53 change ${id} is INSYNC`,
  changedByOthers: (name: string, diff: string[]) =>
    `The DNS records at ${bare(name)} were changed by someone else since this tool journaled them; nothing was overwritten:\n${diff.map((l) => `  ${l}`).join('\n')}`,
  changedByOthersHint:
    'Decide which records should stand: put them back as this tool left them (the "-" lines) and rerun, or set them by hand and leave DNS out of this command.',
  switched: (names: string[], to: 'target' | 'source') =>
    to === 'target'
      ? `DNS: ${names.map(bare).join(', ')} now point at Amplify`
      : `DNS: ${names.map(bare).join(', ')} restored to the record sets journaled before the migration`,
  alreadySwitched: (to: 'target' | 'source') =>
    to === 'target' ? 'DNS already points at Amplify' : 'DNS already has the journaled record sets',
  restored: (count: number) =>
    `restored ${count} record set(s) to what they were before this tool changed them`,
};
