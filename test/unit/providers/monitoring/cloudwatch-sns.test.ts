import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../../../src/core/services.js';
import { cloudWatchOps, isThrottling } from '../../../../src/providers/cloudwatch/cloudwatch.js';
import { snsOps } from '../../../../src/providers/sns/topics.js';
import { type CloudWatchStandIn, startCloudWatchApi } from '../../../../src/sandbox/cloudwatch-api.js';
import { type SnsStandIn, startSnsApi } from '../../../../src/sandbox/sns-api.js';

// The CloudWatch and SNS providers against their stand-ins over HTTP with the pinned SDK clients.

let cw: CloudWatchStandIn;
let sns: SnsStandIn;
let services: Services;
let clock = Date.UTC(2026, 11, 3, 10, 0, 0);

beforeAll(async () => {
  cw = await startCloudWatchApi({ now: () => clock });
  sns = await startSnsApi();
  services = createServices({
    region: 'us-east-1',
    credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    endpoints: { cloudwatch: cw.url, sns: sns.url },
    maxAttempts: 1,
    requestTimeoutMs: 5000,
  });
});
afterAll(async () => {
  await services.close();
  await cw.close();
  await sns.close();
});

const dims = { Project: 'p1' };

describe('CloudWatch provider and stand-in', () => {
  it('speaks AWS JSON 1.0 (X-Amz-Target GraniteServiceVersion20100801.<Op>)', async () => {
    const ops = await cloudWatchOps(await services.cloudwatch());
    await ops.putMetricData('EngifyMigrate', [
      {
        MetricName: 'LagSeconds',
        Dimensions: [{ Name: 'Project', Value: 'p1' }],
        Value: 3,
        Timestamp: new Date(clock),
      },
    ]);
    const req = cw.calls('PutMetricData')[0]!;
    expect(req.headers['x-amz-target']).toBe('GraniteServiceVersion20100801.PutMetricData');
    expect(req.headers['content-type']).toMatch(/^application\/x-amz-json-1\.0/);
    expect(JSON.parse(req.body).MetricData[0].Timestamp).toBe(clock / 1000);
    expect(cw.datapoints('EngifyMigrate', 'LagSeconds', dims)).toHaveLength(1);
  });

  it('evaluates an alarm from the datapoints against its clock: OK, then ALARM when data stops', async () => {
    const ops = await cloudWatchOps(await services.cloudwatch());
    await ops.putAlarm({
      AlarmName: 'p1-no-data',
      Namespace: 'EngifyMigrate',
      MetricName: 'LagSeconds',
      Dimensions: [{ Name: 'Project', Value: 'p1' }],
      Statistic: 'SampleCount',
      Period: 60,
      EvaluationPeriods: 10,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect((await ops.alarmStates(['p1-no-data']))[0]?.state).toBe('OK');
    clock += 11 * 60_000;
    const [state] = await ops.alarmStates(['p1-no-data']);
    expect(state?.state).toBe('ALARM');
    expect(state?.reason).toContain('breaching');
    expect((await ops.describeAlarms(['p1-no-data', 'absent']))[0]?.Statistic).toBe('SampleCount');
    await ops.deleteAlarms(['p1-no-data']);
    expect(await ops.describeAlarms(['p1-no-data'])).toEqual([]);
  });

  it('serves dashboards and metric data, and answers Throttling when told to', async () => {
    const ops = await cloudWatchOps(await services.cloudwatch());
    expect(await ops.getDashboard('d1')).toBeUndefined();
    await ops.putDashboard('d1', JSON.stringify({ widgets: [] }));
    expect(await ops.getDashboard('d1')).toBe('{"widgets":[]}');
    await ops.deleteDashboard('d1');
    await ops.deleteDashboard('d1');
    expect(cw.dashboards.size).toBe(0);

    await ops.putMetricData('EngifyMigrate', [
      {
        MetricName: 'Errors',
        Dimensions: [{ Name: 'Project', Value: 'p1' }],
        StatisticValues: { SampleCount: 3, Sum: 2, Minimum: 0, Maximum: 1 },
        Timestamp: new Date(clock),
      },
    ]);
    const [r] = await ops.getMetricData({
      queries: [
        { id: 'e', namespace: 'EngifyMigrate', metric: 'Errors', dimensions: dims, stat: 'Sum', period: 60 },
      ],
      start: new Date(clock - 60_000),
      end: new Date(clock + 60_000),
    });
    expect(r?.Values).toEqual([2]);

    cw.throttle(1);
    const error = await ops
      .putMetricData('EngifyMigrate', [{ MetricName: 'Errors', Value: 1 }])
      .catch((e: unknown) => e);
    expect(isThrottling(error)).toBe(true);
  });
});

describe('SNS provider and stand-in (awsQuery)', () => {
  it('creates a topic idempotently, subscribes an email, lists and deletes', async () => {
    const ops = await snsOps(await services.sns());
    expect(await ops.findTopic('p1-alarms')).toBeUndefined();
    const arn = await ops.createTopic('p1-alarms', { 'engify-migrate:project': 'p1' });
    expect(await ops.createTopic('p1-alarms', {})).toBe(arn);
    expect(await ops.findTopic('p1-alarms')).toBe(arn);
    expect(await ops.subscribeEmail(arn, 'ops@example.com')).toBe('pending confirmation');
    expect(await ops.subscriptions(arn)).toEqual([
      { arn: 'PendingConfirmation', protocol: 'email', endpoint: 'ops@example.com' },
    ]);
    expect(sns.calls('CreateTopic')[0]?.body).toContain('Action=CreateTopic');
    await ops.deleteTopic(arn);
    expect(await ops.listTopics()).toEqual([]);
  });
});
