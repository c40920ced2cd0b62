// What the files steps record for the steps that build on them.
declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'files.bucket': { bucket: string; unsupportedSettings: string[] };
  }
}
export {};
