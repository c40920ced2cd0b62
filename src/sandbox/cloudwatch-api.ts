import { randomBytes } from 'node:crypto';
import {
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// Stand-in for the CloudWatch operations the monitoring step, `sync` and `status` call, in the protocol
// the pinned @aws-sdk/client-cloudwatch (3.1178) speaks: AWS JSON 1.0 (POST / with X-Amz-Target
// GraniteServiceVersion20100801.<Operation>, Content-Type application/x-amz-json-1.0, timestamps as
// epoch seconds), awsQueryCompatible: errors carry `x-amzn-query-error: <Code>;<Sender|Receiver>` beside
// the JSON `__type`. Any other protocol (Smithy RPC v2 CBOR, awsQuery) is refused, so a client that
// changes its default fails loudly here.
//
// PutMetricData, PutMetricAlarm, DescribeAlarms, DeleteAlarms, PutDashboard, GetDashboard,
// DeleteDashboards and GetMetricData. Alarms are EVALUATED from the stored datapoints against the
// stand-in's own clock (injectable, advanced by tests and the demo): N periods back from now (sliding
// windows, where CloudWatch aligns them to the period), M of N breaching (DatapointsToAlarm), missing
// data treated as TreatMissingData says. `throttle()` makes the next calls answer Throttling.

const TARGET = 'GraniteServiceVersion20100801';
const NS = 'com.amazonaws.cloudwatch';

interface Datapoint {
  key: string;
  at: number;
  sum: number;
  count: number;
  min: number;
  max: number;
}

export interface StoredAlarm {
  spec: Record<string, unknown>;
  arn: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  updatedAt: number;
  configurationUpdatedAt: number;
  /** Every state change, oldest first (what actions would have been sent). */
  history: { at: number; from: string; to: string; reason: string }[];
}

export interface CloudWatchStandIn extends RunningStandIn {
  alarms: Map<string, StoredAlarm>;
  dashboards: Map<string, string>;
  /** The stand-in's clock, ms since the epoch. */
  now(): number;
  /** Moves the clock forward and re-evaluates every alarm. */
  advance(ms: number): void;
  /** The next `count` calls of the given operations (default PutMetricData) answer Throttling. */
  throttle(count: number, operations?: string[]): void;
  /** Requests per operation name, in order. */
  calls(operation: string): RecordedRequest[];
  /**
   * Serves a namespace another stand-in publishes (AWS/DMS from the DMS stand-in), as AWS services
   * publish their metrics into CloudWatch: GetMetricData queries of it are answered by `answer`.
   */
  metricSource(namespace: string, answer: (query: MetricSourceQuery) => Promise<MetricValues>): void;
  /** Datapoints stored for a metric (namespace, name, dimensions exactly). */
  datapoints(namespace: string, metric: string, dimensions: Record<string, string>): Datapoint[];
}

type Dim = { Name?: string; Value?: string };
export type MetricSourceQuery = {
  Id: string;
  MetricStat?: { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dim[] } };
};
export type MetricValues = { Timestamps: number[]; Values: number[] };
const keyOf = (namespace: string, metric: string, dims: Dim[] | undefined) =>
  JSON.stringify([
    namespace,
    metric,
    [...(dims ?? [])].map((d) => [d.Name ?? '', d.Value ?? '']).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
  ]);

const reply = (body: unknown): StandInReply => ({
  status: 200,
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomBytes(16).toString('hex'),
  },
  body,
});
const fail = (
  status: number,
  shape: string,
  code: string,
  message: string,
  sender = 'Sender',
): StandInReply => ({
  status,
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-query-error': `${code};${sender}`,
    'x-amzn-requestid': randomBytes(16).toString('hex'),
  },
  body: { __type: `${NS}#${shape}`, message },
});
const invalid = (message: string) =>
  fail(400, 'InvalidParameterValueException', 'InvalidParameterValue', message);

const STATS = new Set(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']);
const COMPARE: Record<string, (v: number, t: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

function statOf(points: Datapoint[], stat: string): number {
  const sum = points.reduce((n, p) => n + p.sum, 0);
  const count = points.reduce((n, p) => n + p.count, 0);
  switch (stat) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return sum;
    case 'Minimum':
      return Math.min(...points.map((p) => p.min));
    case 'Maximum':
      return Math.max(...points.map((p) => p.max));
    default:
      return count === 0 ? 0 : sum / count;
  }
}

const seconds = (ms: number) => ms / 1000;

export async function startCloudWatchApi(
  options: { region?: string; account?: string; now?: () => number } = {},
): Promise<CloudWatchStandIn> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  let offset = 0;
  const now = () => (options.now ? options.now() : Date.now()) + offset;
  const points = new Map<string, Datapoint[]>();
  const sources = new Map<string, (query: MetricSourceQuery) => Promise<MetricValues>>();
  const alarms = new Map<string, StoredAlarm>();
  const dashboards = new Map<string, string>();
  const throttles: { left: number; operations: Set<string> }[] = [];
  const byOperation = new Map<string, RecordedRequest[]>();

  const inWindow = (key: string, from: number, to: number) =>
    (points.get(key) ?? []).filter((p) => p.at > from && p.at <= to);

  const evaluate = (alarm: StoredAlarm) => {
    const s = alarm.spec;
    const period = Number(s.Period) * 1000;
    const n = Number(s.EvaluationPeriods);
    const m = Number(s.DatapointsToAlarm ?? n);
    const treat = String(s.TreatMissingData ?? 'missing');
    const key = keyOf(String(s.Namespace), String(s.MetricName), s.Dimensions as Dim[] | undefined);
    const compare = COMPARE[String(s.ComparisonOperator)] ?? COMPARE.GreaterThanThreshold!;
    const t = now();
    let breaching = 0;
    let evaluated = 0;
    let last: number | undefined;
    for (let i = 0; i < n; i++) {
      const window = inWindow(key, t - (i + 1) * period, t - i * period);
      if (window.length === 0) {
        if (treat === 'breaching') breaching++;
        if (treat === 'breaching' || treat === 'notBreaching') evaluated++;
        continue;
      }
      const v = statOf(window, String(s.Statistic ?? 'Average'));
      last ??= v;
      evaluated++;
      if (compare(v, Number(s.Threshold))) breaching++;
    }
    let next: StoredAlarm['state'];
    let reason: string;
    if (breaching >= m) {
      next = 'ALARM';
      reason = `Threshold Crossed: ${breaching} out of the last ${n} datapoints were breaching${last === undefined ? ' (no data, treated as breaching)' : ` (most recent ${last})`}.`;
    } else if (evaluated === 0) {
      if (treat === 'ignore') return;
      next = 'INSUFFICIENT_DATA';
      reason = `Insufficient Data: no datapoints in the last ${n} period(s).`;
    } else {
      next = 'OK';
      reason = `Threshold Crossed: ${breaching} out of the last ${n} datapoints were breaching (fewer than ${m}).`;
    }
    if (next === alarm.state) return;
    alarm.history.push({ at: t, from: alarm.state, to: next, reason });
    alarm.state = next;
    alarm.reason = reason;
    alarm.updatedAt = t;
  };
  const evaluateAll = () => {
    for (const a of alarms.values()) evaluate(a);
  };

  const alarmJson = (a: StoredAlarm) => {
    const s = a.spec;
    return {
      AlarmName: s.AlarmName,
      AlarmArn: a.arn,
      AlarmDescription: s.AlarmDescription,
      ActionsEnabled: s.ActionsEnabled ?? true,
      OKActions: s.OKActions ?? [],
      AlarmActions: s.AlarmActions ?? [],
      InsufficientDataActions: s.InsufficientDataActions ?? [],
      StateValue: a.state,
      StateReason: a.reason,
      StateUpdatedTimestamp: seconds(a.updatedAt),
      StateTransitionedTimestamp: seconds(a.updatedAt),
      AlarmConfigurationUpdatedTimestamp: seconds(a.configurationUpdatedAt),
      MetricName: s.MetricName,
      Namespace: s.Namespace,
      Statistic: s.Statistic,
      Dimensions: s.Dimensions ?? [],
      Period: s.Period,
      Unit: s.Unit,
      EvaluationPeriods: s.EvaluationPeriods,
      DatapointsToAlarm: s.DatapointsToAlarm,
      Threshold: s.Threshold,
      ComparisonOperator: s.ComparisonOperator,
      TreatMissingData: s.TreatMissingData,
    };
  };

  const handle = async (op: string, body: Record<string, unknown>): Promise<StandInReply> => {
    switch (op) {
      case 'PutMetricData': {
        const namespace = String(body.Namespace ?? '');
        if (!namespace)
          return fail(400, 'MissingRequiredParameterException', 'MissingParameter', 'Namespace is required.');
        if (namespace.startsWith('AWS/'))
          return invalid(
            `The value AWS/ for parameter Namespace is invalid: the AWS/ namespace is reserved.`,
          );
        const data = (body.MetricData ?? []) as Record<string, unknown>[];
        if (data.length === 0 || data.length > 1000)
          return invalid('The collection MetricData must contain between 1 and 1000 items.');
        for (const [i, d] of data.entries()) {
          if (!d.MetricName)
            return fail(
              400,
              'MissingRequiredParameterException',
              'MissingParameter',
              `MetricData.member.${i + 1}.MetricName is required.`,
            );
          const dims = (d.Dimensions ?? []) as Dim[];
          if (dims.length > 30) return invalid('At most 30 dimensions are allowed per metric.');
          const at = typeof d.Timestamp === 'number' ? d.Timestamp * 1000 : now();
          const sv = d.StatisticValues as
            | { SampleCount: number; Sum: number; Minimum: number; Maximum: number }
            | undefined;
          const v = d.Value as number | undefined;
          const values = (d.Values ?? []) as number[];
          let p: Omit<Datapoint, 'key' | 'at'>;
          if (sv) p = { sum: sv.Sum, count: sv.SampleCount, min: sv.Minimum, max: sv.Maximum };
          else if (typeof v === 'number') p = { sum: v, count: 1, min: v, max: v };
          else if (values.length > 0) {
            const counts = (d.Counts ?? values.map(() => 1)) as number[];
            p = {
              sum: values.reduce((n, x, j) => n + x * (counts[j] ?? 1), 0),
              count: counts.reduce((n, c) => n + c, 0),
              min: Math.min(...values),
              max: Math.max(...values),
            };
          } else
            return fail(
              400,
              'MissingRequiredParameterException',
              'MissingParameter',
              `MetricData.member.${i + 1} needs Value, Values or StatisticValues.`,
            );
          const key = keyOf(namespace, String(d.MetricName), dims);
          const list = points.get(key) ?? [];
          list.push({ key, at, ...p });
          points.set(key, list);
        }
        evaluateAll();
        return reply({});
      }
      case 'PutMetricAlarm': {
        const name = String(body.AlarmName ?? '');
        if (!name || name.length > 255) return invalid('AlarmName must be 1-255 characters.');
        if (!body.MetricName || !body.Namespace)
          return fail(
            400,
            'InvalidParameterCombinationException',
            'InvalidParameterCombination',
            'MetricName and Namespace are required (metric math alarms are not served by this stand-in).',
          );
        if (!STATS.has(String(body.Statistic)))
          return invalid(`The value ${String(body.Statistic)} for parameter Statistic is invalid.`);
        if (!(String(body.ComparisonOperator) in COMPARE))
          return invalid(
            `The value ${String(body.ComparisonOperator)} for parameter ComparisonOperator is invalid.`,
          );
        const period = Number(body.Period);
        if (![10, 20, 30].includes(period) && !(period >= 60 && period % 60 === 0))
          return invalid('The parameter Period must be 10, 20, 30 or a multiple of 60.');
        const n = Number(body.EvaluationPeriods);
        if (!(n >= 1) || (body.DatapointsToAlarm !== undefined && Number(body.DatapointsToAlarm) > n))
          return invalid('EvaluationPeriods must be at least 1 and at least DatapointsToAlarm.');
        if (period * n > 7 * 86_400) return invalid('Period * EvaluationPeriods must be at most one week.');
        const t = now();
        const existing = alarms.get(name);
        const { Tags: _tags, ...spec } = body;
        if (existing) {
          existing.spec = spec;
          existing.configurationUpdatedAt = t;
          evaluate(existing);
        } else {
          const alarm: StoredAlarm = {
            spec,
            arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`,
            state: 'INSUFFICIENT_DATA',
            reason: 'Unchecked: Initial alarm creation',
            updatedAt: t,
            configurationUpdatedAt: t,
            history: [],
          };
          alarms.set(name, alarm);
          evaluate(alarm);
        }
        return reply({});
      }
      case 'DescribeAlarms': {
        evaluateAll();
        const names = body.AlarmNames as string[] | undefined;
        const prefix = body.AlarmNamePrefix as string | undefined;
        const state = body.StateValue as string | undefined;
        const types = (body.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
        const found = [...alarms.entries()]
          .filter(([n]) => (!names || names.includes(n)) && (!prefix || n.startsWith(prefix)))
          .filter(([, a]) => !state || a.state === state)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([, a]) => alarmJson(a));
        return reply({ MetricAlarms: types.includes('MetricAlarm') ? found : [], CompositeAlarms: [] });
      }
      case 'DeleteAlarms': {
        const names = (body.AlarmNames ?? []) as string[];
        const missing = names.filter((n) => !alarms.has(n));
        if (missing.length > 0)
          return fail(404, 'ResourceNotFound', 'ResourceNotFound', `${missing.join(', ')} not found`);
        for (const n of names) alarms.delete(n);
        return reply({});
      }
      case 'PutDashboard': {
        const name = String(body.DashboardName ?? '');
        if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) return invalid('The dashboard name is invalid.');
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(body.DashboardBody ?? ''));
        } catch {
          return fail(
            400,
            'DashboardInvalidInputError',
            'InvalidParameterInput',
            'The field DashboardBody must be a valid JSON object',
            'Sender',
          );
        }
        const widgets = (parsed as { widgets?: unknown }).widgets;
        if (!Array.isArray(widgets))
          return fail(
            400,
            'DashboardInvalidInputError',
            'InvalidParameterInput',
            'The dashboard body must have a "widgets" array.',
          );
        dashboards.set(name, String(body.DashboardBody));
        return reply({ DashboardValidationMessages: [] });
      }
      case 'GetDashboard': {
        const name = String(body.DashboardName ?? '');
        const b = dashboards.get(name);
        if (b === undefined)
          return fail(
            404,
            'ResourceNotFoundException',
            'ResourceNotFound',
            `Dashboard ${name} does not exist`,
          );
        return reply({
          DashboardArn: `arn:aws:cloudwatch::${account}:dashboard/${name}`,
          DashboardBody: b,
          DashboardName: name,
        });
      }
      case 'DeleteDashboards': {
        const names = (body.DashboardNames ?? []) as string[];
        const missing = names.filter((n) => !dashboards.has(n));
        if (missing.length > 0)
          return fail(
            404,
            'DashboardNotFoundError',
            'ResourceNotFound',
            `Dashboard ${missing.join(', ')} does not exist`,
          );
        for (const n of names) dashboards.delete(n);
        return reply({});
      }
      case 'GetMetricData': {
        const start = Number(body.StartTime) * 1000;
        const end = Number(body.EndTime) * 1000;
        const queries = (body.MetricDataQueries ?? []) as {
          Id: string;
          Label?: string;
          MetricStat?: {
            Metric: { Namespace: string; MetricName: string; Dimensions?: Dim[] };
            Period: number;
            Stat: string;
          };
        }[];
        const results = queries.map(async (q) => {
          const ms = q.MetricStat;
          if (!ms)
            return { Id: q.Id, Label: q.Label ?? q.Id, Timestamps: [], Values: [], StatusCode: 'Complete' };
          const source = sources.get(ms.Metric.Namespace);
          if (source)
            return {
              Id: q.Id,
              Label: q.Label ?? ms.Metric.MetricName,
              ...(await source(q)),
              StatusCode: 'Complete',
            };
          const key = keyOf(ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions);
          const period = ms.Period * 1000;
          const Timestamps: number[] = [];
          const Values: number[] = [];
          // Newest first (ScanBy TimestampDescending, the default); periods aligned to StartTime.
          for (let from = start; from < end; from += period) {
            const window = (points.get(key) ?? []).filter((p) => p.at >= from && p.at < from + period);
            if (window.length === 0) continue;
            Timestamps.unshift(seconds(from));
            Values.unshift(statOf(window, ms.Stat));
          }
          return {
            Id: q.Id,
            Label: q.Label ?? ms.Metric.MetricName,
            Timestamps,
            Values,
            StatusCode: 'Complete',
          };
        });
        return reply({ MetricDataResults: await Promise.all(results), Messages: [] });
      }
      default:
        return fail(
          400,
          'InvalidAction',
          'InvalidAction',
          `The action ${op} is not valid for this web service (stand-in).`,
        );
    }
  };

  const server = await startStandIn((req) => {
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return fail(
        403,
        'MissingAuthenticationTokenException',
        'MissingAuthenticationToken',
        'Request is missing Authentication Token',
      );
    const target = req.headers['x-amz-target'] ?? '';
    const type = req.headers['content-type'] ?? '';
    if (
      req.method !== 'POST' ||
      !target.startsWith(`${TARGET}.`) ||
      !type.startsWith('application/x-amz-json-1.0')
    )
      return fail(
        400,
        'UnknownOperationException',
        'UnknownOperation',
        `this CloudWatch stand-in speaks AWS JSON 1.0 only (X-Amz-Target ${TARGET}.<Op>); got ${req.method} ${req.path} content-type "${type}" (a Smithy RPC v2 CBOR or awsQuery client?)`,
      );
    const op = target.slice(TARGET.length + 1);
    byOperation.set(op, [...(byOperation.get(op) ?? []), req]);
    const throttle = throttles.find((x) => x.left > 0 && x.operations.has(op));
    if (throttle) {
      throttle.left--;
      return fail(400, 'Throttling', 'Throttling', 'Rate exceeded');
    }
    let body: Record<string, unknown>;
    try {
      body = req.body ? (JSON.parse(req.body) as Record<string, unknown>) : {};
    } catch {
      return fail(400, 'SerializationException', 'SerializationException', 'body is not JSON');
    }
    return handle(op, body);
  });

  return {
    ...server,
    alarms,
    dashboards,
    now,
    metricSource: (namespace, answer) => {
      sources.set(namespace, answer);
    },
    advance: (ms) => {
      offset += ms;
      evaluateAll();
    },
    throttle: (count, operations = ['PutMetricData']) => {
      throttles.push({ left: count, operations: new Set(operations) });
    },
    calls: (op) => byOperation.get(op) ?? [],
    datapoints: (namespace, metric, dimensions) =>
      points.get(
        keyOf(
          namespace,
          metric,
          Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
        ),
      ) ?? [],
  };
}
