import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, StepContext } from '../../core/step.js';
import { type AlarmSpec, type CloudWatchOps, cloudWatchOps } from '../../providers/cloudwatch/cloudwatch.js';
import { unreadableCheck } from '../hosting/hosting-shared.js';
import { alarmDigest, KIND } from './monitoring-shared.js';

// The parts both monitoring steps share: plan, apply, verify and roll back a set of alarms and the
// dashboard, journaled (intent before the call, created after) so a rerun after a kill adopts what the
// killed run made and rollback deletes only that. A name that exists and is neither journaled nor
// intended is someone else's: refused unless --force (and then never deleted by rollback).

const m = messages.monitoring;

export const cloudwatch = async (ctx: StepContext): Promise<CloudWatchOps> =>
  cloudWatchOps(await ctx.services.cloudwatch());

const has = (list: CreatedResource[], kind: string, name: string) =>
  list.some((r) => r.kind === kind && r.name === name);
export const ours = (ctx: StepContext, kind: string, name: string) =>
  has(ctx.journal.createdResources(), kind, name);
export const pending = (ctx: StepContext, kind: string, name: string) =>
  has(ctx.journal.pendingIntents(), kind, name);

function refuse(kind: string, name: string, field: string): never {
  throw new EngifyError({
    code: 'MONITORING_NOT_OURS',
    kind: 'config',
    message: m.notOurs(kind, name),
    hint: m.notOursHint(field),
  });
}

const threshold = (a: AlarmSpec) =>
  `${a.MetricName} ${a.Statistic} ${a.ComparisonOperator?.replace('Threshold', '')} ${a.Threshold} over ${a.EvaluationPeriods} x ${a.Period}s`;

/**
 * An alarm as plan specified it: the digest of its settings without its actions (apply writes exactly
 * that alarm; the actions name the SNS topic, which this same step may create only during apply).
 */
export type AlarmAction = PlannedAction<'alarm', { name: string; digest: string }>;

const settingsDigest = (spec: AlarmSpec) => alarmDigest({ ...spec, AlarmActions: [], OKActions: [] });
export type DashboardAction = PlannedAction<'dashboard', { name: string; widgets: number }>;

/** The alarm spec a planned action stands for, as it is worked out now; drift when it changed or went. */
export function plannedAlarm(stepId: string, change: AlarmAction, specs: AlarmSpec[]): AlarmSpec {
  const spec = specs.find((s) => s.AlarmName === change.details.name);
  if (!spec || settingsDigest(spec) !== change.details.digest)
    throw planDrift(
      stepId,
      change.resource,
      'the alarm as planned',
      spec ? 'other settings' : 'no such alarm',
    );
  return spec;
}

export async function planAlarms(ctx: StepContext, specs: AlarmSpec[]): Promise<AlarmAction[]> {
  const cw = await cloudwatch(ctx);
  const found = new Map(
    (await cw.describeAlarms(specs.map((s) => s.AlarmName))).map((a) => [a.AlarmName, a]),
  );
  return specs.map((spec) => {
    const existing = found.get(spec.AlarmName);
    const same = existing && alarmDigest(existing as Partial<AlarmSpec>) === alarmDigest(spec);
    const mine = ours(ctx, KIND.alarm, spec.AlarmName) || pending(ctx, KIND.alarm, spec.AlarmName);
    return {
      action: !existing ? 'create' : same ? 'noop' : 'update',
      resource: `cloudwatch alarm ${spec.AlarmName}`,
      subject: 'alarm',
      summary: !existing ? m.alarmCreate(threshold(spec)) : same ? m.inStep : m.alarmUpdate(threshold(spec)),
      details: { name: spec.AlarmName, digest: settingsDigest(spec) },
      ...(existing && !mine && !same ? { warnings: [m.notOursPlan('alarm', spec.AlarmName)] } : {}),
    } satisfies AlarmAction;
  });
}

export async function applyAlarm(ctx: StepContext, spec: AlarmSpec, field: string): Promise<void> {
  const cw = await cloudwatch(ctx);
  const resource: CreatedResource = { kind: KIND.alarm, name: spec.AlarmName };
  const [existing] = await cw.describeAlarms([spec.AlarmName]);
  const tags = [{ Key: 'engify-migrate:project', Value: ctx.config.project }];
  if (!existing) {
    ctx.journal.intent(resource);
    await cw.putAlarm({ ...spec, Tags: tags });
    ctx.journal.created({ ...resource, id: `alarm:${spec.AlarmName}` });
    return;
  }
  const mine = ours(ctx, KIND.alarm, spec.AlarmName);
  const same = alarmDigest(existing as Partial<AlarmSpec>) === alarmDigest(spec);
  // In step needs nothing (not even ownership); a change to one that is not ours needs --force.
  if (!same && !mine && !pending(ctx, KIND.alarm, spec.AlarmName) && !ctx.force)
    refuse('CloudWatch alarm', spec.AlarmName, field);
  if (!same) await cw.putAlarm(spec);
  // Made by a run killed between the call and its record: ours. Taken over with --force: not ours.
  if (!mine && pending(ctx, KIND.alarm, spec.AlarmName))
    ctx.journal.created({ ...resource, id: `alarm:${spec.AlarmName}` });
}

export async function planDashboard(
  ctx: StepContext,
  name: string,
  body: string,
  opts: { owner: boolean },
): Promise<DashboardAction> {
  const current = await (await cloudwatch(ctx)).getDashboard(name);
  // A step that only adds a row to another step's dashboard does not own it.
  const mine = !opts.owner || ours(ctx, KIND.dashboard, name) || pending(ctx, KIND.dashboard, name);
  const widgets = (JSON.parse(body) as { widgets: unknown[] }).widgets.length;
  return {
    action: current === undefined ? 'create' : current === body ? 'noop' : 'update',
    resource: `cloudwatch dashboard ${name}`,
    subject: 'dashboard',
    details: { name, widgets },
    summary:
      current === undefined ? m.dashboardCreate(widgets) : current === body ? m.inStep : m.dashboardUpdate,
    ...(current !== undefined && current !== body && !mine
      ? { warnings: [m.notOursPlan('dashboard', name)] }
      : {}),
  };
}

export async function applyDashboard(ctx: StepContext, name: string, body: string, opts: { owner: boolean }) {
  const cw = await cloudwatch(ctx);
  const resource: CreatedResource = { kind: KIND.dashboard, name };
  const current = await cw.getDashboard(name);
  if (current === undefined) {
    if (!opts.owner) return;
    ctx.journal.intent(resource);
    await cw.putDashboard(name, body);
    ctx.journal.created(resource);
    return;
  }
  const mine = ours(ctx, KIND.dashboard, name);
  if (current !== body && opts.owner && !mine && !pending(ctx, KIND.dashboard, name) && !ctx.force)
    refuse('CloudWatch dashboard', name, 'monitoring.dashboard.name');
  if (current !== body) await cw.putDashboard(name, body);
  if (opts.owner && !mine && pending(ctx, KIND.dashboard, name)) ctx.journal.created(resource);
}

export async function verifyAlarms(ctx: StepContext, specs: AlarmSpec[]): Promise<Check[]> {
  try {
    const found = new Map(
      (await (await cloudwatch(ctx)).describeAlarms(specs.map((s) => s.AlarmName))).map((a) => [
        a.AlarmName,
        a,
      ]),
    );
    return specs.map((s) => {
      const a = found.get(s.AlarmName);
      return {
        name: `cloudwatch alarm ${s.AlarmName}`,
        expected: threshold(s),
        actual: a ? `${threshold(a as AlarmSpec)} (state ${a.StateValue})` : 'missing',
        ok: !!a && alarmDigest(a as Partial<AlarmSpec>) === alarmDigest(s),
      };
    });
  } catch (error) {
    return [unreadableCheck('cloudwatch alarms', error)];
  }
}

/** Deletes the alarms and dashboards this step created (and those a killed run intended). */
export async function rollbackCloudWatch(ctx: StepContext): Promise<void> {
  const cw = await cloudwatch(ctx);
  const created = ctx.journal.createdResources();
  const intended = ctx.journal.pendingIntents();
  const alarms = [...created, ...intended].filter((r) => r.kind === KIND.alarm);
  if (alarms.length > 0) {
    const existing = new Set((await cw.describeAlarms(alarms.map((r) => r.name))).map((a) => a.AlarmName));
    const gone = alarms.filter((r) => existing.has(r.name)).map((r) => r.name);
    if (gone.length > 0) await cw.deleteAlarms(gone);
    for (const r of alarms) ctx.journal.undone({ resource: r });
  }
  for (const r of [...created, ...intended].filter((x) => x.kind === KIND.dashboard)) {
    await cw.deleteDashboard(r.name);
    ctx.journal.undone({ resource: r });
  }
}

export async function verifyGone(
  ctx: StepContext,
  alarmNames: string[],
  dashboard?: string,
): Promise<Check[]> {
  try {
    const cw = await cloudwatch(ctx);
    const left = (await cw.describeAlarms(alarmNames)).map((a) => a.AlarmName ?? '');
    const checks: Check[] = alarmNames.map((n) => ({
      name: `cloudwatch alarm ${n} gone`,
      expected: 'absent',
      actual: left.includes(n) ? 'present' : 'absent',
      ok: !left.includes(n),
    }));
    if (dashboard) {
      const body = await cw.getDashboard(dashboard);
      checks.push({
        name: `cloudwatch dashboard ${dashboard} gone`,
        expected: 'absent',
        actual: body === undefined ? 'absent' : 'present',
        ok: body === undefined,
      });
    }
    return checks;
  } catch (error) {
    return [unreadableCheck('cloudwatch alarms', error)];
  }
}
