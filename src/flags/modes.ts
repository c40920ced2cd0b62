// Each component's mode, read by the app from the flag store:
// source   the app uses the old system; forward sync keeps the target current
// draining the app stops writing to the old side while sync catches up (cutover in progress)
// target   the app uses AWS; reverse sync keeps the old system current
// done     reverse sync stopped; the old system may be retired (this tool never deletes it)

export const MODES = ['source', 'draining', 'target', 'done'] as const;
export type Mode = (typeof MODES)[number];

export const FLAG_COMPONENTS = ['db', 'auth', 'vectors', 'files', 'hosting'] as const;
export type FlagComponent = (typeof FLAG_COMPONENTS)[number];

export interface FlagRecord {
  mode: Mode;
  /** Increases on every change: a conditional write uses it so two writers cannot interleave. */
  version: number;
  updatedAt: string;
  updatedBy: string;
}

export type FlagState = Record<FlagComponent, FlagRecord>;

export function initialFlags(by: string, at = new Date().toISOString()): FlagState {
  const out = {} as FlagState;
  for (const c of FLAG_COMPONENTS) out[c] = { mode: 'source', version: 1, updatedAt: at, updatedBy: by };
  return out;
}

export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}
