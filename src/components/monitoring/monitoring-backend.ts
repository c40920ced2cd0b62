import { messages } from '../../core/messages.js';
import type { PlannedAction, Step, StepContext } from '../../core/step.js';
import { backendEnabled } from '../backend/backend-shared.js';
import {
  type AlarmAction,
  applyAlarm,
  applyDashboard,
  cloudwatch,
  type DashboardAction,
  planAlarms,
  planDashboard,
  plannedAlarm,
  rollbackCloudWatch,
  verifyAlarms,
  verifyGone,
} from './monitoring-resources.js';
import {
  ALARMS_STEP,
  BACKEND_ALARMS_STEP,
  backendAlarms,
  backendTargets,
  dashboardBody,
  monitoringEnabled,
  names,
} from './monitoring-shared.js';

// monitoring.backend (phase 3, after backend.api): Lambda Errors and API Gateway 5xx alarms for the
// function and HTTP API the backend steps created (read from their typed outputs), and the backend's
// row on the dashboard monitoring.alarms made. Rollback deletes its two alarms and takes the row off
// the dashboard again (the dashboard itself belongs to monitoring.alarms).

const m = messages.monitoring;
const topic = (ctx: StepContext) =>
  ctx.journal.outputOf(ALARMS_STEP, 'topicArn') ?? ctx.config.monitoring?.snsTopic?.arn;

type BackendMonitoringAction = AlarmAction | DashboardAction | PlannedAction<'pending', null>;

export const monitoringBackendStep: Step<BackendMonitoringAction> = {
  id: BACKEND_ALARMS_STEP,
  phase: 3,
  component: 'monitoring',
  title: m.backendTitle,
  dependsOn: ['backend.api'],
  enabled: (config) => monitoringEnabled(config) && backendEnabled(config),

  async plan(ctx) {
    const t = backendTargets(ctx);
    if (!t)
      // Planned with phase 3 before backend.api ran: the executor plans this step again once it has.
      return [
        {
          action: 'create',
          resource: 'cloudwatch alarms (backend)',
          subject: 'pending',
          summary: m.backendPending,
          details: null,
        },
      ];
    const n = names(ctx.config);
    return [
      ...(await planAlarms(ctx, backendAlarms(ctx.config, t, topic(ctx)))),
      await planDashboard(ctx, n.dashboard, dashboardBody(ctx.config, ctx.config.target.aws.region, t), {
        owner: false,
      }),
    ];
  },

  async apply(ctx, change) {
    const t = backendTargets(ctx);
    if (!t) return;
    if (change.subject === 'alarm') {
      await applyAlarm(
        ctx,
        plannedAlarm(this.id, change, backendAlarms(ctx.config, t, topic(ctx))),
        'project',
      );
    } else if (change.subject === 'dashboard') {
      const n = names(ctx.config);
      await applyDashboard(ctx, n.dashboard, dashboardBody(ctx.config, ctx.config.target.aws.region, t), {
        owner: false,
      });
    }
  },

  async verify(ctx) {
    const t = backendTargets(ctx);
    return t ? verifyAlarms(ctx, backendAlarms(ctx.config, t, topic(ctx))) : [];
  },

  async rollback(ctx) {
    await rollbackCloudWatch(ctx);
    const n = names(ctx.config);
    const t = backendTargets(ctx);
    const cw = await cloudwatch(ctx);
    const current = await cw.getDashboard(n.dashboard);
    // Only the row this step added, and only on the dashboard as it left it.
    if (t && current === dashboardBody(ctx.config, ctx.config.target.aws.region, t))
      await cw.putDashboard(n.dashboard, dashboardBody(ctx.config, ctx.config.target.aws.region));
  },

  async verifyRollback(ctx) {
    const n = names(ctx.config);
    return verifyGone(ctx, [n.lambdaErrors, n.api5xx]);
  },
};
