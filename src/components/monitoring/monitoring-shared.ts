import type { Config, MonitoringConfig } from '../../config/schema.js';
import type { StepContext } from '../../core/step.js';
import type { AlarmSpec } from '../../providers/cloudwatch/cloudwatch.js';

// Names and desired shapes of what the monitoring steps create: the alarms on the metrics `sync`
// publishes (metrics-publisher.ts), the backend's alarms, the optional SNS topic and the dashboard.
// Everything is a function of the config (and of the backend's outputs), so a plan can compare it
// with what exists and a rerun finds it in step.

export const ALARMS_STEP = 'monitoring.alarms';
export const BACKEND_ALARMS_STEP = 'monitoring.backend';
export const OWNER_TAG = 'engify-migrate:project';
export const KIND = {
  alarm: 'cloudwatch-alarm',
  topic: 'sns-topic',
  dashboard: 'cloudwatch-dashboard',
} as const;

/** The metrics `sync` publishes, per component (dimensions Project, Component) and per project (Project). */
export const METRICS = {
  lagSeconds: 'LagSeconds',
  lagBytes: 'LagBytes',
  changesPerSecond: 'ChangesAppliedPerSecond',
  errors: 'Errors',
} as const;

export function monitoringConfig(config: Config): MonitoringConfig {
  if (!config.monitoring) throw new Error('monitoring steps run only when monitoring is configured');
  return config.monitoring;
}

export const monitoringEnabled = (config: Config) => config.monitoring !== undefined;

export function names(config: Config) {
  const m = monitoringConfig(config);
  const p = `engify-${config.project}`;
  return {
    lag: `${p}-sync-lag`,
    errors: `${p}-sync-errors`,
    noData: `${p}-sync-no-data`,
    lambdaErrors: `${p}-lambda-errors`,
    api5xx: `${p}-api-5xx`,
    dashboard: m.dashboard.name ?? `${config.project}-migration`,
    topic: m.snsTopic?.name ?? `${config.project}-alarms`,
  };
}

/** Whether a topic is to be created: asked for, or implied by an email to notify. */
export function createsTopic(config: Config): boolean {
  const m = monitoringConfig(config);
  if (m.snsTopic?.arn) return false;
  return m.snsTopic ? m.snsTopic.create : m.alarmEmail !== undefined;
}

const projectDims = (config: Config) => [{ Name: 'Project', Value: config.project }];

function withActions(spec: AlarmSpec, topicArn: string | undefined): AlarmSpec {
  return topicArn ? { ...spec, ActionsEnabled: true, AlarmActions: [topicArn], OKActions: [topicArn] } : spec;
}

/** The three sync alarms, on the project-wide figures (every component's batch carries them too). */
export function syncAlarms(config: Config, topicArn: string | undefined): AlarmSpec[] {
  const n = names(config);
  const ns = monitoringConfig(config).namespace;
  const base = { Namespace: ns, Dimensions: projectDims(config), Period: 60 };
  return [
    {
      ...base,
      AlarmName: n.lag,
      AlarmDescription: `engify-migrate ${config.project}: sync lag above sync.maxLagSeconds (${config.sync.maxLagSeconds} s) for 5 minutes`,
      MetricName: METRICS.lagSeconds,
      Statistic: 'Maximum',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Threshold: config.sync.maxLagSeconds,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
    },
    {
      ...base,
      AlarmName: n.errors,
      AlarmDescription: `engify-migrate ${config.project}: sync reported an error`,
      MetricName: METRICS.errors,
      Statistic: 'Sum',
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    },
    {
      ...base,
      AlarmName: n.noData,
      AlarmDescription: `engify-migrate ${config.project}: no sync figures for 10 minutes (sync stopped)`,
      MetricName: METRICS.lagSeconds,
      Statistic: 'SampleCount',
      EvaluationPeriods: 10,
      DatapointsToAlarm: 10,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    },
  ].map((s) => withActions(s as AlarmSpec, topicArn));
}

export interface BackendTargets {
  functionName: string;
  apiId: string;
}

/** Lambda Errors and API Gateway 5xx for the function and HTTP API the backend steps created. */
export function backendAlarms(config: Config, t: BackendTargets, topicArn: string | undefined): AlarmSpec[] {
  const n = names(config);
  return [
    {
      AlarmName: n.lambdaErrors,
      AlarmDescription: `engify-migrate ${config.project}: Lambda function ${t.functionName} reported errors`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: t.functionName }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    },
    {
      AlarmName: n.api5xx,
      AlarmDescription: `engify-migrate ${config.project}: HTTP API ${t.apiId} answered 5xx`,
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: t.apiId }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    },
  ].map((s) => withActions(s as AlarmSpec, topicArn));
}

/** The settings of an alarm PutMetricAlarm takes, as DescribeAlarms gives them back (for comparison). */
export function alarmDigest(a: Partial<AlarmSpec>): string {
  const dims = [...(a.Dimensions ?? [])].map((d) => `${d.Name}=${d.Value}`).sort();
  return JSON.stringify([
    a.Namespace,
    a.MetricName,
    dims,
    a.Statistic,
    a.Period,
    a.EvaluationPeriods,
    a.DatapointsToAlarm ?? a.EvaluationPeriods,
    a.Threshold,
    a.ComparisonOperator,
    a.TreatMissingData ?? 'missing',
    [...(a.AlarmActions ?? [])].sort(),
    [...(a.OKActions ?? [])].sort(),
    a.AlarmDescription ?? '',
  ]);
}

/** The dashboard: the four sync figures per component (a SEARCH over the Component dimension), the backend's when known. */
export function dashboardBody(config: Config, region: string, backend?: BackendTargets): string {
  const ns = monitoringConfig(config).namespace;
  const search = (metric: string, stat: string) =>
    `SEARCH('{${ns},Component,Project} Project="${config.project}" MetricName="${metric}"', '${stat}', 60)`;
  const graph = (title: string, metric: string, stat: string, y: number, x: number, extra = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: {
      title,
      region,
      view: 'timeSeries',
      stat,
      period: 60,
      metrics: [[{ expression: search(metric, stat), id: metric.toLowerCase(), label: '' }]],
      ...extra,
    },
  });
  const widgets: unknown[] = [
    graph('Sync lag (seconds)', METRICS.lagSeconds, 'Maximum', 0, 0, {
      annotations: { horizontal: [{ label: 'sync.maxLagSeconds', value: config.sync.maxLagSeconds }] },
    }),
    graph('Sync lag (bytes behind)', METRICS.lagBytes, 'Maximum', 0, 12),
    graph('Changes applied per second', METRICS.changesPerSecond, 'Average', 6, 0),
    graph('Sync errors', METRICS.errors, 'Sum', 6, 12),
  ];
  if (backend)
    widgets.push({
      type: 'metric',
      x: 0,
      y: 12,
      width: 24,
      height: 6,
      properties: {
        title: 'Backend: Lambda errors and API 5xx',
        region,
        view: 'timeSeries',
        stat: 'Sum',
        period: 60,
        metrics: [
          ['AWS/Lambda', 'Errors', 'FunctionName', backend.functionName],
          ['AWS/ApiGateway', '5xx', 'ApiId', backend.apiId],
        ],
      },
    });
  return JSON.stringify({ widgets });
}

/** The function and API the backend steps recorded (their typed outputs), once both exist. */
export function backendTargets(ctx: StepContext): BackendTargets | undefined {
  const arn = ctx.journal.outputOf('backend.function', 'functionArn');
  const apiId = ctx.journal.outputOf('backend.api', 'apiId');
  if (!arn || !apiId) return undefined;
  return { functionName: arn.split(':')[6] ?? arn, apiId };
}
