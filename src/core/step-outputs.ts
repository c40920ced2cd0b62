import type { Json } from './contracts.js';

// What a step records for other steps to read (auth.pool's pool id, db.copy's slot, hosting.app's app
// id): each component declares its steps' outputs with their types next to the step, by merging into
// this interface:
//
//   declare module '../../core/step-outputs.js' {
//     interface StepOutputs { 'auth.pool': { userPoolId: string; appClientId: string } }
//   }
//
// A reader then gets the declared type (ctx.journal.outputOf('auth.pool', 'userPoolId'): string), and a
// key the step does not declare is a compile error. Steps nobody declares keep untyped keys.

// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each component.
export interface StepOutputs {}

export type OutputsOf<S extends string> = S extends keyof StepOutputs ? StepOutputs[S] : Record<string, Json>;
export type OutputKey<S extends string> = keyof OutputsOf<S> & string;
