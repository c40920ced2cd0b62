import type { Config } from '../config/schema.js';
import type { Json } from './contracts.js';
import type { EngifyError } from './errors.js';
import type { PlannedStepView } from './measure.js';
import type { Services } from './services.js';
import type { Component, Step, StepContext } from './step.js';
import type { ComponentPass, SyncDirection, SyncHandle } from './sync-contracts.js';
import type { SyncObserver } from './sync-observer.js';

// What a component (db, auth, vectors, files, hosting, flags) hands the engine through the registry.
// The engine runs plans, sync and cutover from these tables and never names a component: a new
// component is a folder of its own plus one line in src/components/registry.ts.

/** A component kept in step by a change stream (the database). */
export interface StreamSync {
  /** The copy step whose success the stream builds on. */
  after: string;
  open(ctx: StepContext, direction: SyncDirection): Promise<SyncHandle>;
  /**
   * What the stream does not carry and must follow it, run every few seconds while it runs and once
   * after a drain (sequence positions: the side the app does not write follows the other's).
   */
  followUp?(ctx: StepContext, direction: SyncDirection): Promise<number>;
}

/** A component kept in step by periodic idempotent passes (auth, files, vectors). */
export interface PassSync {
  after: string;
  forward: ComponentPass;
  reverse: ComponentPass;
}

/**
 * The parts of a cutover only a stream component knows; the engine supplies the order (verify,
 * `draining`, drain, flip) and calls these at their points. Every context given is the
 * `cutover.<component>` step's, so what they create is journaled there and undone from there.
 */
export interface StreamCutover {
  /** After the forward stream is drained and stopped, before `target`: make the way back ready. */
  prepareReverse(ctx: StepContext, say: (m: string) => void): Promise<void>;
  /** Whether the way back was made ready (a cutover can stop before it was). */
  reverseReady(ctx: StepContext): Promise<boolean>;
  /** `done`: stop the way back and drop what prepareReverse made. */
  retire(ctx: StepContext): Promise<void>;
  /** Before the migration itself is undone: drop what prepareReverse made. Returns how many. */
  release(ctx: StepContext): Promise<number>;
}

/**
 * What moves a component's traffic outside the flag (DNS for hosting), called by the engine at the
 * flip: `toTarget` just before the flag says `target`, `toSource` just before it says `source`. Both
 * must be idempotent (a cutover killed after one is rerun) and refuse rather than overwrite what
 * someone else changed. The context is the `cutover.<component>` step's.
 */
export interface FlipHook {
  toTarget(ctx: StepContext, say: (m: string) => void): Promise<void>;
  toSource(ctx: StepContext, say: (m: string) => void): Promise<void>;
}

/**
 * A component whose traffic moves by re-pointing a setting rather than a flag the app reads, with no
 * data to carry either way (the backend: the frontend's API URL variable). The engine supplies the
 * order (verify, then point) and journals the mode under `cutover.<component>`.
 */
export interface TrafficSwitch {
  /** Point traffic at `to` (idempotent); returns what was done, for the user. */
  point(ctx: StepContext, to: 'source' | 'target'): Promise<string>;
}

export interface ComponentModule {
  name: Component;
  /** Its checklist lines, in the order a person reads them. */
  steps: Step[];
  /** What reverse sync does not carry back (shown before a flip, and in status); absent: no flag. */
  notCarriedBack?: readonly string[];
  stream?: StreamSync & { cutover: StreamCutover };
  passes?: PassSync;
  flip?: FlipHook;
  switch?: TrafficSwitch;
  /** Services this component's config names: each must answer in its own protocol before anything runs. */
  endpoints?(config: Config): Endpoint[];
  /**
   * Checks before anything runs, beyond an answer from each endpoint: `before` from the config alone
   * (no connection is made yet), `after` once every endpoint answered. Errors stop the command (exit 2);
   * warnings are shown and the command goes on.
   */
  preflight?: {
    before?(config: Config): PreflightFindings;
    after?(config: Config): Promise<PreflightFindings>;
  };
  /**
   * A section of the plan drawn from every step's plan (e.g. the cost estimate): read-only, from the
   * measures the steps attached to their changes; absent or undefined: no section.
   */
  planReport?(input: PlanReportInput): PlanReport | undefined;
  /**
   * A condition a cutover to `target` must meet (e.g. a recent backup): an error refuses the cutover.
   * `option` names the command-line switch that waives it (`--no-<option>`).
   */
  cutoverGuard?: { option: string; check(ctx: StepContext): EngifyError | undefined };
  /**
   * Watches `sync` (e.g. publishes its figures as metrics): called once when sync starts, with the
   * context of `sync.<component>`; undefined: nothing to watch with (not configured).
   */
  syncObserver?(ctx: StepContext): SyncObserver | undefined;
  /** Lines `status` shows beyond the journal's (e.g. alarm states); read-only, may call services. */
  status?(input: StatusInput): Promise<StatusLine[]>;
}

export interface StatusInput {
  config: Config;
  services: Services;
}

export interface StatusLine {
  label: string;
  data: Record<string, Json>;
}

export interface PlanReportInput {
  config: Config;
  /** The config file's folder (paths in the config are relative to it). */
  configDir: string;
  steps: readonly PlannedStepView[];
  /** The plan's own time (reports that age, such as a price file, age against it). */
  now: Date;
}

/** A plan-wide section: shown after the steps in text, carried whole in --json and plan files. */
export interface PlanReport {
  id: string;
  title: string;
  /** The section as text shows it, one line each. */
  lines: string[];
  /** Shown as warnings (e.g. a free-tier limit passed, a stale price file). */
  warnings: string[];
  data: Json;
}

export interface Endpoint {
  /** The config path that names it, e.g. source.qdrant.url. */
  path: string;
  url: string;
  /** What to do when the host resolves only to IPv6 addresses this machine cannot reach. */
  ipv6OnlyHint?: string;
}

export interface PreflightFindings {
  errors: EngifyError[];
  warnings: string[];
}
