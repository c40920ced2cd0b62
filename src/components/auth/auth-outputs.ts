// What the auth steps record for the steps and passes that build on them.
declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'auth.pool': { userPoolId: string; appClientId: string; region: string };
  }
}
export {};
