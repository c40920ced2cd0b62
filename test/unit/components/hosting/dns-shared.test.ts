import type { DomainAssociation } from '@aws-sdk/client-amplify';
import { describe, expect, it } from 'vitest';
import {
  CLOUDFRONT_ZONE,
  type DnsEntry,
  diffLines,
  replacedBy,
  wantedSets,
  whereIs,
} from '../../../../src/components/hosting/dns-shared.js';

// The record sets dns.records asks Route 53 for, and how a name's current sets are classified.

const association: DomainAssociation = {
  domainAssociationArn: 'arn:aws:amplify:us-east-1:123456789012:apps/d1/domains/example.com',
  enableAutoSubDomain: false,
  domainStatus: 'PENDING_VERIFICATION',
  statusReason: '',
  domainName: 'example.com',
  certificateVerificationDNSRecord: '_abc.example.com. CNAME _xyz.acm-validations.aws.',
  subDomains: [
    {
      subDomainSetting: { prefix: '', branchName: 'main' },
      verified: false,
      dnsRecord: ' CNAME d1.cloudfront.net',
    },
    {
      subDomainSetting: { prefix: 'www', branchName: 'main' },
      verified: false,
      dnsRecord: 'www CNAME d1.cloudfront.net',
    },
  ],
};

describe('dns records', () => {
  it('asks for the validation CNAME, a CNAME per subdomain, and an alias A at the apex', () => {
    expect(wantedSets(association, 60)).toEqual([
      {
        role: 'validation',
        set: { name: '_abc.example.com.', type: 'CNAME', ttl: 60, values: ['_xyz.acm-validations.aws.'] },
      },
      {
        role: 'traffic',
        set: {
          name: 'example.com.',
          type: 'A',
          alias: {
            hostedZoneId: CLOUDFRONT_ZONE,
            dnsName: 'd1.cloudfront.net.',
            evaluateTargetHealth: false,
          },
        },
      },
      {
        role: 'traffic',
        set: { name: 'www.example.com.', type: 'CNAME', ttl: 60, values: ['d1.cloudfront.net'] },
      },
    ]);
  });

  it('replaces address records beside a CNAME, leaves other types and routing-policy sets alone', () => {
    const target = { name: 'www.example.com.', type: 'CNAME', ttl: 60, values: ['d1.cloudfront.net'] };
    const at = [
      { name: 'www.example.com.', type: 'A', ttl: 300, values: ['1.2.3.4'] },
      { name: 'www.example.com.', type: 'TXT', ttl: 300, values: ['"v"'] },
      { name: 'www.example.com.', type: 'A', ttl: 300, values: ['5.6.7.8'], setIdentifier: 'blue' },
    ];
    expect(replacedBy(target, at)).toEqual([at[0]]);
  });

  it('tells original, lowered, switched and foreign states apart, whatever the key or value order', () => {
    const e: DnsEntry = {
      name: 'www.example.com.',
      type: 'CNAME',
      role: 'traffic',
      target: { name: 'www.example.com.', type: 'CNAME', ttl: 60, values: ['d1.cloudfront.net'] },
      original: [{ name: 'www.example.com.', type: 'A', ttl: 3600, values: ['1.1.1.1', '2.2.2.2'] }],
      lowered: [{ name: 'www.example.com.', type: 'A', ttl: 60, values: ['1.1.1.1', '2.2.2.2'] }],
    };
    expect(
      whereIs(e, [{ values: ['2.2.2.2', '1.1.1.1'], ttl: 3600, type: 'A', name: 'www.example.com.' }]),
    ).toBe('original');
    expect(whereIs(e, e.lowered ?? [])).toBe('lowered');
    expect(whereIs(e, [e.target])).toBe('target');
    expect(whereIs(e, [])).toBe('other');
    expect(diffLines([e.target], [])).toEqual([
      '- www.example.com. CNAME d1.cloudfront.net TTL 60   (as this tool left it)',
    ]);
  });
});
