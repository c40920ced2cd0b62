import type {
  CloudWatchClient,
  MetricAlarm,
  MetricDataResult,
  MetricDatum,
  PutMetricAlarmInput,
  StateValue,
} from '@aws-sdk/client-cloudwatch';
import { EngifyError, isTransient, toEngifyError } from '../../core/errors.js';

// Typed CloudWatch operations (the SDK's PutMetricData, PutMetricAlarm, DescribeAlarms, DeleteAlarms,
// PutDashboard, GetDashboard, DeleteDashboards, GetMetricData). Only SDK calls: what to create and
// when is the monitoring component's business.

export type AlarmSpec = PutMetricAlarmInput & { AlarmName: string };

export interface AlarmState {
  name: string;
  state: StateValue | string;
  reason?: string;
  updatedAt?: string;
}

const errorName = (e: unknown) => (e instanceof Error ? e.name : '');
/** CloudWatch's throttling answer (query error code "Throttling", HTTP 400). */
export const isThrottling = (e: unknown) =>
  errorName(e) === 'Throttling' || errorName(e) === 'ThrottlingException';
const isDashboardMissing = (e: unknown) =>
  ['ResourceNotFound', 'DashboardNotFoundError', 'ResourceNotFoundException'].includes(errorName(e));

function cloudWatchError(e: unknown, what: string): EngifyError {
  if (e instanceof EngifyError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  const config = [
    'InvalidParameterValue',
    'InvalidParameterCombination',
    'MissingParameter',
    'LimitExceeded',
  ];
  return toEngifyError(e, {
    code: isThrottling(e) ? 'CLOUDWATCH_THROTTLED' : 'CLOUDWATCH_FAILED',
    kind: config.includes(errorName(e))
      ? 'config'
      : isTransient(e) || isThrottling(e)
        ? 'transient'
        : 'system',
    message: `CloudWatch could not ${what}: ${detail}`,
    hint: 'Check target.aws (region, credentials, endpoints.cloudwatch) and the monitoring section; rerun once fixed.',
  });
}

export async function cloudWatchOps(client: CloudWatchClient) {
  const cw = await import('@aws-sdk/client-cloudwatch');
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw cloudWatchError(e, what);
    }
  };
  return {
    /** One PutMetricData call (at most 1,000 datums; the caller batches). Raw SDK errors: the caller counts them. */
    putMetricData: async (namespace: string, data: MetricDatum[]): Promise<void> => {
      await client.send(new cw.PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
    },
    putAlarm: (spec: AlarmSpec) =>
      wrap(`put alarm ${spec.AlarmName}`, async () => {
        await client.send(new cw.PutMetricAlarmCommand(spec));
      }),
    /** The named alarms that exist (at most 100 names a call, as DescribeAlarms takes). */
    describeAlarms: (names: string[]) =>
      wrap('describe alarms', async () => {
        const out: MetricAlarm[] = [];
        for (let i = 0; i < names.length; i += 100) {
          let token: string | undefined;
          do {
            const r = await client.send(
              new cw.DescribeAlarmsCommand({
                AlarmNames: names.slice(i, i + 100),
                AlarmTypes: ['MetricAlarm'],
                ...(token ? { NextToken: token } : {}),
              }),
            );
            out.push(...(r.MetricAlarms ?? []));
            token = r.NextToken;
          } while (token);
        }
        return out;
      }),
    alarmStates: async (names: string[]): Promise<AlarmState[]> => {
      const found = await wrap('describe alarms', async () => {
        const r = await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: names.slice(0, 100) }));
        return r.MetricAlarms ?? [];
      });
      return found.map((a) => ({
        name: a.AlarmName ?? '',
        state: a.StateValue ?? 'INSUFFICIENT_DATA',
        ...(a.StateReason ? { reason: a.StateReason } : {}),
        ...(a.StateUpdatedTimestamp ? { updatedAt: a.StateUpdatedTimestamp.toISOString() } : {}),
      }));
    },
    deleteAlarms: (names: string[]) =>
      wrap(`delete alarms ${names.join(', ')}`, async () => {
        for (let i = 0; i < names.length; i += 100)
          await client.send(new cw.DeleteAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }));
      }),
    /** The dashboard's body, or undefined when there is none of that name. */
    getDashboard: (name: string) =>
      wrap(`read dashboard ${name}`, async () => {
        try {
          const r = await client.send(new cw.GetDashboardCommand({ DashboardName: name }));
          return r.DashboardBody ?? '';
        } catch (e) {
          if (isDashboardMissing(e)) return undefined;
          throw e;
        }
      }),
    putDashboard: (name: string, body: string) =>
      wrap(`put dashboard ${name}`, async () => {
        const r = await client.send(new cw.PutDashboardCommand({ DashboardName: name, DashboardBody: body }));
        const invalid = (r.DashboardValidationMessages ?? []).map((m) => `${m.DataPath}: ${m.Message}`);
        if (invalid.length > 0)
          throw new EngifyError({
            code: 'CLOUDWATCH_DASHBOARD_INVALID',
            kind: 'system',
            message: `CloudWatch took dashboard ${name} with warnings: ${invalid.join('; ')}`,
          });
      }),
    deleteDashboard: (name: string) =>
      wrap(`delete dashboard ${name}`, async () => {
        try {
          await client.send(new cw.DeleteDashboardsCommand({ DashboardNames: [name] }));
        } catch (e) {
          if (!isDashboardMissing(e)) throw e;
        }
      }),
    getMetricData: (input: {
      queries: {
        id: string;
        namespace: string;
        metric: string;
        dimensions: Record<string, string>;
        stat: string;
        period: number;
      }[];
      start: Date;
      end: Date;
    }) =>
      wrap('read metric data', async () => {
        const r = await client.send(
          new cw.GetMetricDataCommand({
            StartTime: input.start,
            EndTime: input.end,
            MetricDataQueries: input.queries.map((q) => ({
              Id: q.id,
              MetricStat: {
                Metric: {
                  Namespace: q.namespace,
                  MetricName: q.metric,
                  Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
                },
                Period: q.period,
                Stat: q.stat,
              },
            })),
          }),
        );
        return (r.MetricDataResults ?? []) as MetricDataResult[];
      }),
  };
}

export type CloudWatchOps = Awaited<ReturnType<typeof cloudWatchOps>>;
