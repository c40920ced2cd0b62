// What the backend steps record for backend.api, backend.switch and monitoring.backend.
declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'backend.role': { roleArn: string; secretArn: string };
    'backend.function': { functionArn: string };
    'backend.api': { url: string; apiId: string };
  }
}
export {};
