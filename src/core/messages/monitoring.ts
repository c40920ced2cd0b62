// User-facing text of monitoring.alarms, monitoring.backend, the metrics `sync` publishes and `status`.
// Re-exported through src/core/messages.ts as messages.monitoring.

export const monitoringMessages = {
  alarmsTitle: 'CloudWatch alarms on sync (lag, errors, no data), SNS topic and the migration dashboard',
  backendTitle: 'CloudWatch alarms on the backend (Lambda errors, API Gateway 5xx)',
  alarmCreate: (threshold: string) => `create (${threshold})`,
  alarmUpdate: (what: string) => `update its settings (${what})`,
  inStep: 'in step',
  notOurs: (kind: string, name: string) =>
    `${kind} ${name} exists and was not created by engify-migrate for this project.`,
  notOursHint: (field: string) =>
    `Delete or rename it, set ${field} to another name, or run \`apply --force\` to take it over (rollback will then leave it in place).`,
  notOursPlan: (kind: string, name: string) =>
    `${kind} ${name} exists and is not ours: apply refuses to change it unless --force`,
  topicCreate: (name: string) => `create topic ${name} for alarm notifications`,
  topicTheirs: (arn: string) => `alarms notify your topic ${arn} (monitoring.snsTopic.arn; never deleted)`,
  subscribe: (email: string) => `subscribe ${email} (the address must confirm the email SNS sends)`,
  emailOnTheirTopic: (email: string) =>
    `monitoring.alarmEmail (${email}) is not subscribed to monitoring.snsTopic.arn: subscribe it on your topic yourself`,
  dashboardCreate: (widgets: number) => `create with ${widgets} widget(s)`,
  dashboardUpdate: 'update its widgets',
  backendPending:
    'the backend alarms need backend.function and backend.api applied first (they name the function and API those steps created)',
  noDataNote: 'the no-data alarm is in ALARM until `sync` runs and publishes (that is what it watches for)',
  // ----- runtime metrics ---------------------------------------------------------------------------
  published: (component: string, datums: number) => `metrics: ${datums} datum(s) published for ${component}`,
  dropped: (component: string, datums: number, reason: string) =>
    `metrics: ${datums} datum(s) for ${component} dropped (${reason}); sync goes on`,
  // ----- demo --------------------------------------------------------------------------------------
  demoPublished: (calls: number, datums: number, namespace: string) =>
    `CloudWatch got ${calls} PutMetricData call(s), ${datums} datum(s), in namespace ${namespace} (at most one call per component a minute)`,
  demoMetric: (component: string, metric: string, value: string) => `  ${component} ${metric}: ${value}`,
  demoAlarm: (name: string, state: string) => `  alarm ${name}: ${state}`,
  demoStopped: (minutes: number) =>
    `sync stopped; ${minutes} minutes pass on the CloudWatch stand-in's clock:`,
  demoChanged: (name: string, from: string, to: string) => `  alarm ${name}: ${from} -> ${to}`,
  // ----- status ------------------------------------------------------------------------------------
  alarmMissing: 'missing (run `apply --phase 1`)',
  alarmsUnreadable: (reason: string) => `alarm states unreadable: ${reason}`,
};
