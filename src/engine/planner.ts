import { createHash } from 'node:crypto';
import { EngifyError, toEngifyError } from '../core/errors.js';
import type { Change, Phase, Step } from '../core/step.js';
import type { EngineSession, StepHooks } from './session.js';

// Refresh -> plan: asks every selected step what it would change against live state. Read-only: a
// step's plan() must never write anything remote. Like Terraform, the plan is plain data that can be
// saved, reviewed and applied later, and is refused when config or observed state moved on.

export interface StepPlan {
  id: string;
  phase: Phase;
  title: string;
  changes: Change[];
  error?: { code: string; kind: string; message: string; hint?: string };
}

export interface PlanDocument {
  format: 'engify-migrate/plan@1';
  createdAt: string;
  phases: Phase[];
  forced: boolean;
  /** sha256 of the config text (before ${VAR} interpolation, so no secret is hashed into a file). */
  configHash: string;
  /** sha256 of every step's changes: what was observed. */
  stateHash: string;
  steps: StepPlan[];
  /** sha256 of this document's own content (everything above): a hand-edited plan no longer matches it. */
  digest: string;
}

export async function planSteps(
  session: EngineSession,
  steps: Step[],
  hooks: (step: Step) => StepHooks = () => ({}),
): Promise<StepPlan[]> {
  return (await planActions(session, steps, hooks)).plans;
}

/**
 * The plan as shown (redacted: it may be printed and saved) and, per step, the actions exactly as
 * planned, which apply consumes without asking the step to plan again.
 */
export async function planActions(
  session: EngineSession,
  steps: Step[],
  hooks: (step: Step) => StepHooks = () => ({}),
): Promise<{ plans: StepPlan[]; actions: Map<string, Change[]> }> {
  const out: StepPlan[] = [];
  const actions = new Map<string, Change[]>();
  for (const step of steps) {
    const ctx = session.context(step, hooks(step));
    try {
      const changes = await step.plan(ctx);
      actions.set(step.id, changes);
      out.push({
        id: step.id,
        phase: step.phase,
        title: step.title,
        changes: session.loaded.redactor.redactValue(changes),
      });
    } catch (error) {
      const e = toEngifyError(error, {
        code: 'PLAN_FAILED',
        kind: 'system',
        message: `could not plan ${step.id}`,
      });
      out.push({
        id: step.id,
        phase: step.phase,
        title: step.title,
        changes: [],
        error: session.loaded.redactor.redactValue(e.toJSON()),
      });
    }
  }
  return { plans: out, actions };
}

export function planDocument(
  session: EngineSession,
  phases: Phase[],
  steps: StepPlan[],
  forced: boolean,
): PlanDocument {
  const doc: Omit<PlanDocument, 'digest'> = {
    format: 'engify-migrate/plan@1',
    createdAt: new Date().toISOString(),
    phases,
    forced,
    configHash: configHash(session.loaded.raw),
    stateHash: stateHash(steps),
    steps,
  };
  return { ...doc, digest: planDigest(doc) };
}

/**
 * The digest a saved plan carries of itself. `apply <file>` applies the file's own actions (and its
 * phases and forced flag), which the state and config hashes do not cover: without it an edited action
 * would be applied as if it had been planned. Keys are sorted, so re-indenting the file changes nothing.
 */
export function planDigest(doc: Omit<PlanDocument, 'digest'> & { digest?: unknown }): string {
  const { digest: _ignored, ...content } = doc;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function configHash(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

export function stateHash(steps: StepPlan[]): string {
  const observed = steps.map((s) => ({ id: s.id, changes: s.changes, error: s.error?.code ?? null }));
  return createHash('sha256').update(JSON.stringify(observed)).digest('hex');
}

export function changeCounts(steps: StepPlan[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of steps) for (const c of s.changes) counts[c.action] = (counts[c.action] ?? 0) + 1;
  return counts;
}

/** The worst error in a plan decides the command's outcome: a config error (2) over a system one (1). */
export function planError(steps: StepPlan[]): EngifyError | undefined {
  const failed = steps.filter((s) => s.error);
  if (failed.length === 0) return undefined;
  const first = failed.find((s) => s.error?.kind === 'config') ?? failed[0]!;
  return new EngifyError({
    code: first.error!.code,
    kind: first.error!.kind === 'config' ? 'config' : 'system',
    message: `${first.id}: ${first.error!.message}`,
    hint: first.error!.hint,
  });
}
