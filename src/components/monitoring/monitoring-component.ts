import type { ComponentModule, StatusLine } from '../../core/component.js';
import { messages } from '../../core/messages.js';
import { cloudWatchOps, isThrottling } from '../../providers/cloudwatch/cloudwatch.js';
import { MetricsPublisher } from './metrics-publisher.js';
import { monitoringAlarmsStep } from './monitoring-alarms.js';
import { monitoringBackendStep } from './monitoring-backend.js';
import { names } from './monitoring-shared.js';

// Monitoring: alarms, topic and dashboard (phase 1; the backend's alarms in phase 3), the metrics
// `sync` publishes (through the engine's sync-observer hook) and the alarm states `status` shows.

export const monitoringComponent: ComponentModule = {
  name: 'monitoring',
  steps: [monitoringAlarmsStep, monitoringBackendStep],
  syncObserver(ctx) {
    const cfg = ctx.config.monitoring;
    if (!cfg) return undefined;
    const client = ctx.services.cloudwatch().then(cloudWatchOps);
    return new MetricsPublisher({
      namespace: cfg.namespace,
      project: ctx.config.project,
      publish: async (namespace, data) => (await client).putMetricData(namespace, data),
      isThrottling,
      log: (line) => ctx.log(line),
    });
  },
  async status({ config, services }) {
    if (!config.monitoring) return [];
    const n = names(config);
    const wanted = [n.lag, n.errors, n.noData, ...(config.backend ? [n.lambdaErrors, n.api5xx] : [])];
    try {
      const states = await (await cloudWatchOps(await services.cloudwatch())).alarmStates(wanted);
      return wanted.map((name): StatusLine => {
        const s = states.find((x) => x.name === name);
        return {
          label: `alarm ${name}`,
          data: s
            ? {
                state: s.state,
                ...(s.updatedAt ? { since: s.updatedAt } : {}),
                ...(s.reason ? { reason: s.reason } : {}),
              }
            : { state: messages.monitoring.alarmMissing },
        };
      });
    } catch (error) {
      return [
        {
          label: 'alarms',
          data: {
            state: messages.monitoring.alarmsUnreadable(
              error instanceof Error ? error.message : String(error),
            ),
          },
        },
      ];
    }
  },
};
