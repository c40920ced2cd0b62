// What flags.store records: where the flags live.
declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'flags.store': { location: string };
  }
}
export {};
