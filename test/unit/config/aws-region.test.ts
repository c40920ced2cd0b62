import { describe, expect, it } from 'vitest';
import { components } from '../../../src/components/registry.js';
import { EngifyError } from '../../../src/core/errors.js';
import { parseConfig } from '../../../src/core/load-config.js';
import { preflight } from '../../../src/engine/preflight.js';

// target.aws.region against the AWS SDK's partitions: a region of no partition's shape is a config error
// naming the field; one of a partition's shape that the SDK does not list is let through with a warning
// (AWS opens regions newer than any SDK release), and a listed one passes silently.

const load = (region: string) =>
  parseConfig(
    JSON.stringify({ project: 'region-test', source: {}, target: { aws: { region } } }),
    '/tmp/region-test/migrations.config.json',
    {},
  );

function refusal(region: string): EngifyError {
  try {
    load(region);
  } catch (e) {
    expect(e).toBeInstanceOf(EngifyError);
    return e as EngifyError;
  }
  throw new Error(`${region} was accepted`);
}

describe('target.aws.region', () => {
  it('refuses a region that matches no AWS partition, naming the field', () => {
    for (const region of ['xx-west-1', 'eu-west', 'europe-west1', 'us-east-1a']) {
      const e = refusal(region);
      expect(e.kind).toBe('config');
      expect(e.message).toContain('target.aws.region: expected an AWS region');
      expect(e.message).toContain(`got "${region}"`);
    }
  });

  it('accepts the regions of every partition, including the sovereign and isolated ones', () => {
    for (const region of ['eu-west-1', 'cn-north-1', 'us-gov-west-1', 'us-isob-east-1', 'eusc-de-east-1']) {
      expect(load(region).config.target.aws.region).toBe(region);
    }
  });

  it('warns about a region of a partition pattern that the SDK does not know', async () => {
    const { warnings } = await preflight(load('eu-west-99').config, components);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('target.aws.region "eu-west-99"');
    expect(warnings[0]).toContain('not a region this AWS SDK knows');
  });

  it('says nothing about a known region', async () => {
    expect((await preflight(load('eu-west-1').config, components)).warnings).toEqual([]);
  });
});
