import type { PlanReport, PlanReportInput } from '../core/component.js';
import { measuresOf } from '../core/measure.js';
import { messages } from '../core/messages.js';
import {
  type LoadedThroughput,
  loadThroughput,
  type PathChoice,
  userPaths,
  vectorPaths,
} from '../core/path-estimate.js';

// The plan's "copy path" sections, one per component that has more than one way to move its data:
// every path's wall-time estimate with the sum behind it, the one chosen, and the threshold or setting
// that chose it. The database's choice is made in db.copy's plan (it also checks the source's rights
// for DMS) and arrives here in its measure; vectors and users are estimated here from their measures.

const msg = messages.paths;

function section(
  id: string,
  title: string,
  choice: PathChoice,
  t: LoadedThroughput,
  input: PlanReportInput,
): PlanReport {
  const mbps = input.config.network.mbps ?? t.file.figures['network.defaultMbps'].value;
  const lines = [
    msg.dated(t.file.checkedOn, t.path, mbps, input.config.network.mbps !== undefined),
    ...choice.paths.map((p) => msg.pathLine(p.path, p.seconds, p.basis, p.path === choice.chosen)),
    msg.chosenLine(choice.chosen, choice.reason),
    ...(choice.notes ?? []),
  ];
  return {
    id,
    title,
    lines,
    warnings: [],
    data: {
      ...(choice as unknown as Record<string, never>),
      throughputFile: t.path,
      checkedOn: t.file.checkedOn,
      mbps,
    },
  };
}

const throughput = (input: PlanReportInput) =>
  loadThroughput(input.config.network.throughputFile, input.configDir);

export function dbPathReport(input: PlanReportInput): PlanReport | undefined {
  const choice = measuresOf(input.steps, 'db').find((m) => m.path)?.path;
  if (!choice) return undefined;
  return section('paths.db', msg.title('database'), choice, throughput(input), input);
}

export function vectorPathReport(input: PlanReportInput): PlanReport | undefined {
  const measures = measuresOf(input.steps, 'vectors');
  const dynamodb = input.config.target.dynamodb;
  if (measures.length === 0 || !dynamodb) return undefined;
  const points = measures.reduce((n, m) => n + m.points, 0);
  const sized = measures.filter((m) => m.avgItemBytes !== null);
  const weight = sized.reduce((n, m) => n + m.points, 0);
  const avgItemBytes =
    weight > 0 ? sized.reduce((n, m) => n + m.points * (m.avgItemBytes ?? 0), 0) / weight : 1024;
  const t = throughput(input);
  const choice = vectorPaths(t.file, {
    points,
    avgItemBytes,
    writesPerSecond: dynamodb.writesPerSecond,
    bulkThresholdPoints: dynamodb.bulkThresholdPoints,
    mbps: input.config.network.mbps,
    chosen: measures.some((m) => m.copyPath === 'bulk-import') ? 'bulk-import' : 'batch-write',
  });
  return section('paths.vectors', msg.title('vectors'), choice, t, input);
}

export function userPathReport(input: PlanReportInput): PlanReport | undefined {
  const measures = measuresOf(input.steps, 'users');
  if (measures.length === 0) return undefined;
  const auth = input.config.auth;
  const t = throughput(input);
  const choice = userPaths(t.file, {
    users: measures.reduce((n, m) => n + m.users, 0),
    ratePerSecond: auth?.ratePerSecond ?? 40,
    maxUsersPerFile: auth?.importJob.maxUsersPerFile ?? 100_000,
    route: measures[0]?.route ?? auth?.passwords ?? 'reset',
  });
  return section('paths.users', msg.title('users'), choice, t, input);
}
