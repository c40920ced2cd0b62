// What monitoring.alarms records for monitoring.backend (the topic its alarms notify too).
declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'monitoring.alarms': { topicArn: string };
  }
}
export {};
