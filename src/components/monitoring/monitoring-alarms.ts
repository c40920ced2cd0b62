import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { snsOps } from '../../providers/sns/topics.js';
import { unreadableCheck } from '../hosting/hosting-shared.js';
import {
  type AlarmAction,
  applyAlarm,
  applyDashboard,
  type DashboardAction,
  ours,
  pending,
  planAlarms,
  planDashboard,
  plannedAlarm,
  rollbackCloudWatch,
  verifyAlarms,
  verifyGone,
} from './monitoring-resources.js';
import {
  ALARMS_STEP,
  backendTargets,
  createsTopic,
  dashboardBody,
  KIND,
  monitoringConfig,
  monitoringEnabled,
  names,
  OWNER_TAG,
  syncAlarms,
} from './monitoring-shared.js';

// monitoring.alarms (phase 1): before any data moves, the alarms on the figures `sync` will publish
// (lag over sync.maxLagSeconds for 5 minutes, any error, no figures for 10 minutes), the SNS topic
// they notify (with an email subscription) when asked for, and the migration dashboard. Each is
// journaled; rollback deletes exactly those.

const m = messages.monitoring;
const sns = async (ctx: StepContext) => snsOps(await ctx.services.sns());

/** The topic alarms notify: the user's (config) or ours once it exists. */
async function topicArn(ctx: StepContext): Promise<string | undefined> {
  const cfg = monitoringConfig(ctx.config);
  if (cfg.snsTopic?.arn) return cfg.snsTopic.arn;
  if (!createsTopic(ctx.config)) return undefined;
  return (await sns(ctx)).findTopic(names(ctx.config).topic);
}

const body = (ctx: StepContext) =>
  dashboardBody(ctx.config, ctx.config.target.aws.region, backendTargets(ctx));

type MonitoringAction =
  | AlarmAction
  | DashboardAction
  | PlannedAction<'topic', { name: string }>
  | PlannedAction<'subscription', { email: string }>;

export const monitoringAlarmsStep: Step<MonitoringAction> = {
  id: ALARMS_STEP,
  phase: 1,
  component: 'monitoring',
  title: m.alarmsTitle,
  dependsOn: [],
  enabled: monitoringEnabled,

  async plan(ctx) {
    const cfg = monitoringConfig(ctx.config);
    const n = names(ctx.config);
    const changes: MonitoringAction[] = [];
    const arn = await topicArn(ctx);
    if (createsTopic(ctx.config)) {
      const mine = ours(ctx, KIND.topic, n.topic) || pending(ctx, KIND.topic, n.topic);
      changes.push({
        action: arn ? 'noop' : 'create',
        resource: `sns topic ${n.topic}`,
        subject: 'topic',
        details: { name: n.topic },
        summary: arn ? m.inStep : m.topicCreate(n.topic),
        ...(arn && !mine ? { warnings: [m.notOursPlan('SNS topic', n.topic)] } : {}),
      });
      if (cfg.alarmEmail) {
        const subscribed = arn
          ? (await (await sns(ctx)).subscriptions(arn)).some(
              (s) => s.protocol === 'email' && s.endpoint === cfg.alarmEmail,
            )
          : false;
        changes.push({
          action: subscribed ? 'noop' : 'create',
          resource: `sns subscription ${cfg.alarmEmail}`,
          subject: 'subscription',
          details: { email: cfg.alarmEmail },
          summary: subscribed ? m.inStep : m.subscribe(cfg.alarmEmail),
        });
      }
    }
    const alarms = await planAlarms(ctx, syncAlarms(ctx.config, arn));
    if (cfg.snsTopic?.arn) alarms[0]?.warnings?.push(m.topicTheirs(cfg.snsTopic.arn));
    if (cfg.snsTopic?.arn && cfg.alarmEmail) {
      const first = alarms[0];
      if (first) first.warnings = [...(first.warnings ?? []), m.emailOnTheirTopic(cfg.alarmEmail)];
    }
    const noData = alarms.find((a) => a.action === 'create' && a.resource.endsWith(n.noData));
    if (noData) noData.warnings = [...(noData.warnings ?? []), m.noDataNote];
    changes.push(...alarms, await planDashboard(ctx, n.dashboard, body(ctx), { owner: true }));
    return changes;
  },

  async apply(ctx, change) {
    const cfg = monitoringConfig(ctx.config);
    const n = names(ctx.config);
    switch (change.subject) {
      case 'topic': {
        const ops = await sns(ctx);
        const resource: CreatedResource = { kind: KIND.topic, name: n.topic };
        let arn = await ops.findTopic(n.topic);
        if (!arn) {
          ctx.journal.intent(resource);
          arn = await ops.createTopic(n.topic, { [OWNER_TAG]: ctx.config.project });
          ctx.journal.created({ ...resource, id: arn });
        } else if (!ours(ctx, KIND.topic, n.topic)) {
          if (!pending(ctx, KIND.topic, n.topic) && !ctx.force)
            throw new EngifyError({
              code: 'MONITORING_NOT_OURS',
              kind: 'config',
              message: m.notOurs('SNS topic', n.topic),
              hint: 'Set monitoring.snsTopic.arn to have the alarms notify that topic (it is then never deleted), or monitoring.snsTopic.name to create another.',
            });
          if (pending(ctx, KIND.topic, n.topic)) ctx.journal.created({ ...resource, id: arn });
        }
        if (ctx.journal.outputOf(ALARMS_STEP, 'topicArn') !== arn) ctx.journal.output('topicArn', arn);
        return;
      }
      case 'subscription': {
        const arn = await topicArn(ctx);
        if (!arn || !cfg.alarmEmail) return;
        const ops = await sns(ctx);
        const subs = await ops.subscriptions(arn);
        if (!subs.some((s) => s.protocol === 'email' && s.endpoint === cfg.alarmEmail))
          await ops.subscribeEmail(arn, cfg.alarmEmail);
        return;
      }
      case 'alarm': {
        await applyAlarm(
          ctx,
          plannedAlarm(this.id, change, syncAlarms(ctx.config, await topicArn(ctx))),
          'project',
        );
        return;
      }
      case 'dashboard':
        await applyDashboard(ctx, n.dashboard, body(ctx), { owner: true });
        return;
    }
  },

  async verify(ctx) {
    const checks: Check[] = [];
    const n = names(ctx.config);
    let arn: string | undefined;
    try {
      arn = await topicArn(ctx);
      if (createsTopic(ctx.config))
        checks.push({
          name: `sns topic ${n.topic}`,
          expected: 'present',
          actual: arn ?? 'missing',
          ok: !!arn,
        });
    } catch (error) {
      checks.push(unreadableCheck('sns topic', error));
    }
    checks.push(...(await verifyAlarms(ctx, syncAlarms(ctx.config, arn))));
    return checks;
  },

  async rollback(ctx) {
    await rollbackCloudWatch(ctx);
    const topics = [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()].filter(
      (r) => r.kind === KIND.topic,
    );
    if (topics.length === 0) return;
    const ops = await sns(ctx);
    for (const r of topics) {
      // An intent never confirmed: the name was free right before the call, so a topic of it is ours.
      const arn = r.id ?? (await ops.findTopic(r.name));
      if (arn) await ops.deleteTopic(arn);
      ctx.journal.undone({ resource: r });
    }
  },

  async verifyRollback(ctx) {
    const n = names(ctx.config);
    const checks = await verifyGone(ctx, [n.lag, n.errors, n.noData], n.dashboard);
    if (createsTopic(ctx.config)) {
      const arn = await (await sns(ctx)).findTopic(n.topic).catch(() => undefined);
      checks.push({
        name: `sns topic ${n.topic} gone`,
        expected: 'absent',
        actual: arn ? 'present' : 'absent',
        ok: !arn,
      });
    }
    return checks;
  },
};
