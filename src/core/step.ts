import type { Redactor } from '../config/redact.js';
import type { Config } from '../config/schema.js';
import type { CreatedResource, Cursor, Json } from './contracts.js';
import type { JournalRecord } from './journal-record.js';
import type { MarkStore } from './marks.js';
import type { Measure } from './measure.js';
import type { Services } from './services.js';
import type { OutputKey, OutputsOf } from './step-outputs.js';

// A Step is one line of the checklist. The engine knows steps only through this contract.

export type Phase = 1 | 2 | 3 | 4;
export type Component =
  | 'auth'
  | 'db'
  | 'vectors'
  | 'files'
  | 'hosting'
  | 'flags'
  | 'backend'
  | 'cutover'
  | 'cost'
  | 'backup'
  | 'monitoring';

export type ChangeAction = 'create' | 'update' | 'copy' | 'sync' | 'flip' | 'delete' | 'noop';

export interface Change {
  action: ChangeAction;
  /** What it acts on, for people, e.g. "cognito user pool chatbot-users". */
  resource: string;
  /**
   * What it acts on, for apply: a step with more than one kind of change branches on this, never on
   * the display text above (which may be reworded).
   */
  subject?: string;
  summary: string;
  details?: Json;
  /** Shown in the plan as a warning the user should read before applying. */
  warnings?: string[];
  /** What planning measured about the data this change moves (read by plan-wide reports, e.g. cost). */
  measures?: Measure[];
}

/**
 * One planned action of a step with its kind and details typed: `subject` is what apply branches on,
 * `details` what plan observed and decided, which apply consumes instead of looking again. A step
 * declares the union of its actions (e.g. `PlannedAction<'bucket', {...}> | PlannedAction<'cors', {...}>`)
 * as the type parameter of Step. Details are type aliases (not interfaces) so that they are Json.
 */
export interface PlannedAction<S extends string = string, D extends Json = Json> extends Change {
  subject: S;
  details: D;
}

export interface Check {
  name: string;
  expected: Json;
  actual: Json;
  ok: boolean;
  hint?: string;
  /** A check that cannot be run here (unsupported by the service): reported, never counted as a pass. */
  skipped?: boolean;
  /** The parts the check compared one by one (a table's key ranges), for the verify report's map. */
  parts?: CheckPart[];
}

export interface CheckPart {
  label: string;
  ok: boolean;
  /** What was compared for this part, e.g. "1200 rows, hash a1b2c3d4 = a1b2c3d4". */
  detail: string;
}

export interface StepJournal {
  /** Record that `count` more items of `stream` are durably written, up to `cursor`. */
  checkpoint(stream: string, cursor: Cursor, count: number, done?: boolean, bytes?: number): void;
  /** The last checkpoint of `stream` in this step, if any (across runs). */
  lastCheckpoint(stream: string): { cursor: Cursor; count: number; done: boolean } | undefined;
  /** Record the intent to create a resource, before the create call. */
  intent(resource: CreatedResource): void;
  /** Record that this tool created a resource (rollback deletes only these). */
  created(resource: CreatedResource): void;
  /** Resources this step created and has not undone yet. */
  createdResources(): CreatedResource[];
  /** Resources whose creation was intended but never confirmed (a crash in between). */
  pendingIntents(): CreatedResource[];
  /** Record that a created resource (or a stream's data) was undone. */
  undone(entry: { resource?: CreatedResource; stream?: string }): void;
  /** Non-secret outputs other steps read (pool id, client id, table name, ...). */
  output(key: string, value: Json): void;
  /** Another step's output, typed as that step's component declares it (core/step-outputs.ts). */
  outputOf<S extends string, K extends OutputKey<S>>(stepId: S, key: K): OutputsOf<S>[K] | undefined;
  records(): readonly JournalRecord[];
}

export interface RollbackFlags {
  yes: boolean;
  skipFinalSnapshot: boolean;
}

export interface StepContext {
  config: Config;
  stateDir: string;
  configDir: string;
  services: Services;
  journal: StepJournal;
  redactor: Redactor;
  signal: AbortSignal;
  log(message: string): void;
  progress(update: { done: number; total?: number; unit?: string }): void;
  /** Set by `apply --force`: steps may overwrite what they would otherwise refuse to touch. */
  force: boolean;
  /** What `rollback` was told (--yes, --skip-final-snapshot); absent outside a rollback. */
  rollbackFlags?: RollbackFlags;
  /** The marks of a scope (default: this step's own id), kept beside the journal. */
  marks(scope?: string): MarkStore;
}

/**
 * `A` is the union of actions this step plans; apply receives exactly those (from this run's plan or a
 * saved one, whose digest proves it came from plan). Apply looks at live state again only to detect
 * drift since the plan, and then throws planDrift (exit 4) instead of doing something else.
 */
export interface Step<A extends Change = Change> {
  id: string;
  phase: Phase;
  component: Component;
  title: string;
  dependsOn: string[];
  /** False when the config has nothing for this step (e.g. no qdrant source): it is left out of plans. */
  enabled(config: Config): boolean;
  /** Read-only against live systems. */
  plan(ctx: StepContext): Promise<A[]>;
  /** Idempotent; checkpoints through ctx.journal. */
  apply(ctx: StepContext, change: A): Promise<void>;
  /** Never throws: failures are Checks. */
  verify(ctx: StepContext): Promise<Check[]>;
  /** Undo only what the journal says this step did; never touches source data. */
  rollback?(ctx: StepContext): Promise<void>;
  /**
   * What undoing this step destroys beyond recovery (e.g. a database server with its data), named for
   * the user: rollback then runs only with an explicit --yes, even on a terminal. Undefined: nothing such.
   */
  rollbackDestroys?(ctx: StepContext): string | undefined;
  /** After a rollback: checks that what this step had created is gone. Never throws. */
  verifyRollback?(ctx: StepContext): Promise<Check[]>;
}

export function noop(resource: string, summary: string): Change {
  return { action: 'noop', resource, summary };
}
