// What hosting.app records for hosting.env, hosting.domain and rollback.
declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'hosting.app': { appId: string; defaultDomain: string; adopted: boolean; branch: string };
  }
}
export {};
