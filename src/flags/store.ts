import type { FlagComponent, FlagState, Mode } from './modes.js';

/** Where the component modes live: a file for local use, a DynamoDB table for real deployments. */
export interface FlagStore {
  /** Human-readable location, for plans and messages. */
  readonly location: string;
  exists(): Promise<boolean>;
  /** Creates the store with every component at `source`; a no-op for components already present. */
  create(by: string): Promise<void>;
  read(): Promise<FlagState>;
  /** Sets a mode only if the current version is `expectedVersion` (compare-and-set). */
  set(component: FlagComponent, mode: Mode, expectedVersion: number, by: string): Promise<void>;
  destroy(): Promise<void>;
}

export class FlagConflictError extends Error {
  constructor(component: string) {
    super(`the ${component} flag changed while it was being set; read it again`);
    this.name = 'FlagConflictError';
  }
}
