import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { costReport } from '../../../../src/components/cost/cost-component.js';
import { bundledPricesDir } from '../../../../src/components/cost/prices.js';
import { configSchema } from '../../../../src/config/schema.js';
import type { Measure } from '../../../../src/core/measure.js';

// The cost section of a plan from measures as steps attach them: the date and age of the price file,
// a region without one, and what is stated unknown rather than guessed.

const base = (over: Record<string, unknown> = {}) =>
  configSchema.parse({
    project: 'cost-unit',
    source: { render: { apiKey: 'k', serviceId: 'srv-1' } },
    target: {
      aws: { region: 'us-east-1' },
      cognito: { userPoolName: 'p' },
      s3: { bucket: 'cost-unit-files' },
      amplify: { appName: 'web' },
    },
    ...over,
  });

const steps = (measures: Measure[]) => [{ id: 'x', changes: [{ measures }] }];
const files: Measure = { kind: 'files', bucket: 'a', objects: 3000, bytes: 6 * 1024 ** 3, putRequests: 3000 };

describe('cost report', () => {
  it('says the price date, flags S3 5 GB and 2,000 PUTs, and states Lambda, API Gateway and Amplify unknown', () => {
    const r = costReport({
      config: base(),
      configDir: tmpdir(),
      steps: steps([files]),
      now: new Date('2026-12-03'),
    });
    const text = r.lines.join('\n');
    expect(text).toContain('prices as checked on 2026-12-03');
    expect(text).toMatch(/lambda .*monthly \? \(unknown\)/);
    expect(text).toContain('cost.backendRequestsPerMonth');
    expect(text).toContain('cost.buildMinutesPerMonth');
    expect(r.warnings.some((w) => w.includes('s3.storageGb'))).toBe(true);
    expect(r.warnings.some((w) => w.includes('s3.putRequests'))).toBe(true);
    expect(r.warnings.some((w) => w.includes('more than a year'))).toBe(false);
  });

  it('prices Lambda and API Gateway from a stated request volume, and flags their 1M allowances', () => {
    const config = base({ cost: { backendRequestsPerMonth: 3_000_000, buildMinutesPerMonth: 1200 } });
    const r = costReport({ config, configDir: tmpdir(), steps: steps([]), now: new Date('2026-12-03') });
    const data = r.data as { services: { service: string; monthlyUsd: number | null }[] };
    const by = (s: string) => data.services.find((x) => x.service === s)!.monthlyUsd;
    expect(by('lambda')).toBeCloseTo(((3_000_000 - 1_000_000) / 1e6) * 0.2, 6); // 1M always free
    expect(by('apigateway')).toBeCloseTo(3 * 1.0, 6); // the 1M is a 12-month offer: flagged, not deducted
    expect(by('amplify')).toBeCloseTo(1200 * 0.01, 6);
    for (const key of ['lambda.requests', 'apigateway.httpRequests', 'amplify.buildMinutes'])
      expect(
        r.warnings.some((w) => w.includes(key)),
        key,
      ).toBe(true);
  });

  it('warns when the price file is more than a year old', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-prices-'));
    const file = JSON.parse(readFileSync(join(bundledPricesDir(), 'us-east-1.json'), 'utf8'));
    file.checkedOn = '2025-06-01';
    writeFileSync(join(dir, 'old.json'), JSON.stringify(file));
    const config = base({ cost: { pricesFile: 'old.json' } });
    const r = costReport({ config, configDir: dir, steps: steps([files]), now: new Date('2026-12-03') });
    expect(r.warnings.find((w) => w.includes('more than a year'))).toMatch(
      /old\.json was checked on 2025-06-01, 550 days ago/,
    );
    expect((r.data as { stale: boolean }).stale).toBe(true);
  });

  it('a region without a price file: usage and free-tier limits, no prices, and a warning', () => {
    const config = base({ target: { aws: { region: 'ap-southeast-2' }, s3: { bucket: 'cost-unit-files' } } });
    const r = costReport({ config, configDir: tmpdir(), steps: steps([files]), now: new Date('2026-12-03') });
    expect(r.warnings.some((w) => w.includes('No price file for region ap-southeast-2'))).toBe(true);
    const data = r.data as {
      services: { service: string; monthlyUsd: number | null; lines: { quantity: number }[] }[];
    };
    expect(data.services[0]!.monthlyUsd).toBeNull();
    expect(data.services[0]!.lines[0]!.quantity).toBe(6);
  });

  it('a price file that is not one is a config error naming the file and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-prices-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ format: 'engify-migrate/prices@1', region: 'x' }));
    const config = base({ cost: { pricesFile: 'bad.json' } });
    expect(() => costReport({ config, configDir: dir, steps: steps([]), now: new Date() })).toThrow(
      /bad\.json is not a price file: currency/,
    );
  });
});
