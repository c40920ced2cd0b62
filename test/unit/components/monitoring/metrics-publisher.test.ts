import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsPublisher } from '../../../../src/components/monitoring/metrics-publisher.js';
import { createServices, type Services } from '../../../../src/core/services.js';
import type { ComponentSyncSample } from '../../../../src/core/sync-observer.js';
import { cloudWatchOps, isThrottling } from '../../../../src/providers/cloudwatch/cloudwatch.js';
import { type CloudWatchStandIn, startCloudWatchApi } from '../../../../src/sandbox/cloudwatch-api.js';

// The publisher `sync` feeds about once a second, against the CloudWatch stand-in over HTTP with the
// real SDK: at most one PutMetricData per component per 60 s of injected time, values folded into
// statistic sets, and a throttled call dropped and counted without throwing.

let cw: CloudWatchStandIn;
let services: Services;
let clock = Date.UTC(2026, 11, 3, 9, 0, 0);

beforeAll(async () => {
  cw = await startCloudWatchApi({ now: () => clock });
  services = createServices({
    region: 'us-east-1',
    credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    endpoints: { cloudwatch: cw.url },
    maxAttempts: 1,
    requestTimeoutMs: 5000,
  });
});
afterAll(async () => {
  await services.close();
  await cw.close();
});

const sample = (component: string, lagSeconds: number, errors = 0): ComponentSyncSample => ({
  component,
  direction: 'forward',
  lagSeconds,
  lagBytes: lagSeconds * 100,
  changesPerSecond: 10,
  changesApplied: 0,
  errors,
});

async function publisher(project: string) {
  const ops = await cloudWatchOps(await services.cloudwatch());
  const log: string[] = [];
  const p = new MetricsPublisher({
    namespace: 'EngifyMigrate',
    project,
    publish: (ns, data) => ops.putMetricData(ns, data),
    isThrottling,
    now: () => clock,
    log: (l) => log.push(l),
  });
  return { p, log };
}

const callsFor = (project: string) =>
  cw.calls('PutMetricData').filter((r) => r.body.includes(`"Value":"${project}"`));

describe('metrics publisher', () => {
  it('sends at most one call per component per 60 s, with the samples aggregated', async () => {
    const { p } = await publisher('batch');
    // Ten minutes of one report a second, two components.
    for (let s = 0; s < 600; s++) {
      p.observe([sample('db', s % 60 === 30 ? 40 : 2, s >= 30 ? 1 : 0), sample('auth', 0)]);
      clock += 1000;
    }
    await p.close();
    const calls = callsFor('batch');
    const per = (c: string) => calls.filter((r) => r.body.includes(`"Value":"${c}"`));
    expect(per('db')).toHaveLength(10);
    expect(per('auth')).toHaveLength(10);
    const times = per('db').map((r) => (JSON.parse(r.body).MetricData[0].Timestamp as number) * 1000);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(60_000);
    // The second call folds 60 samples: max 40 lag, 1 error.
    const second = JSON.parse(per('db')[1]!.body) as {
      MetricData: {
        MetricName: string;
        Dimensions: { Name: string }[];
        StatisticValues: Record<string, number>;
      }[];
    };
    const lag = second.MetricData.find((d) => d.MetricName === 'LagSeconds' && d.Dimensions.length === 2);
    expect(lag?.StatisticValues).toMatchObject({ SampleCount: 60, Maximum: 40, Minimum: 2 });
    const errors = second.MetricData.find((d) => d.MetricName === 'Errors' && d.Dimensions.length === 2);
    expect(errors?.StatisticValues.Sum).toBe(1);
    // Per component (Project, Component) and project-wide (Project): both stored.
    expect(cw.datapoints('EngifyMigrate', 'LagSeconds', { Project: 'batch', Component: 'db' })).toHaveLength(
      10,
    );
    expect(cw.datapoints('EngifyMigrate', 'LagSeconds', { Project: 'batch' })).toHaveLength(20);
    expect(p.counters).toMatchObject({ calls: 20, failedCalls: 0, droppedDatums: 0 });
  });

  it('drops a throttled batch, counts it, never throws, and publishes the next minute', async () => {
    const { p, log } = await publisher('throttled');
    cw.throttle(1);
    p.observe([sample('db', 1)]);
    await p.close();
    expect(p.counters).toMatchObject({
      calls: 1,
      failedCalls: 1,
      throttled: 1,
      droppedDatums: 8,
      published: 0,
    });
    expect(p.report()).toMatchObject({ throttled: 1, droppedDatums: 8 });
    expect(log[0]).toContain('throttled');
    clock += 60_000;
    p.observe([sample('db', 1)]);
    await p.close();
    expect(p.counters).toMatchObject({ calls: 2, published: 8 });
  });

  it('a failing endpoint is counted the same way (sync never stops)', async () => {
    const down = new MetricsPublisher({
      namespace: 'EngifyMigrate',
      project: 'down',
      publish: () => Promise.reject(new Error('connect ECONNREFUSED')),
      now: () => clock,
    });
    expect(() => down.observe([sample('db', 1)])).not.toThrow();
    await down.close();
    expect(down.counters).toMatchObject({ failedCalls: 1, throttled: 0 });
    expect(down.counters.lastError).toContain('ECONNREFUSED');
  });
});
