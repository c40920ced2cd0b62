import { toEngifyError } from '../core/errors.js';
import { messages } from '../core/messages.js';
import type { Change, Step } from '../core/step.js';
import type { TaskReport, UiTask } from '../core/task.js';
import type { EngineSession } from './session.js';
import { foldSteps } from './step-state.js';

// Runs steps in dependency order. Each step is journaled (start, checkpoints, success or failure); a
// failure is reported as that step's result and only the steps that depend on it are skipped, like
// Kysely's migrator returning results instead of throwing. Resuming is the steps' business: they read
// their checkpoints from the journal and skip what is durably done.

export interface StepResult extends TaskReport {
  id: string;
  changes: number;
  error?: { code: string; kind: string; message: string; hint?: string };
  /** Internal detail (provider error text), redacted; shown with --verbose. */
  detail?: string;
}

/** `planned` holds each step's actions as planned; a step is never asked to plan again here. */
export function applyTasks(
  session: EngineSession,
  steps: Step[],
  planned: ReadonlyMap<string, Change[]>,
): UiTask<StepResult>[] {
  const results = new Map<string, StepResult>();
  const selected = new Set(steps.map((s) => s.id));
  return steps.map((step) => ({
    id: step.id,
    title: `${step.id}  ${step.title}`,
    run: async (io) => {
      const blocked = step.dependsOn.find(
        (d) =>
          selected.has(d) && results.get(d)?.outcome !== 'succeeded' && results.get(d)?.outcome !== 'noop',
      );
      if (blocked) {
        const r: StepResult = {
          id: step.id,
          outcome: 'skipped',
          changes: 0,
          summary: messages.apply.skippedAfterFailure(step.id, blocked),
        };
        results.set(step.id, r);
        return r;
      }
      // A step planned before a step it depends on changed something (in this same run) was planned
      // on what no longer is: only then is it planned again, right before it runs.
      const stale = step.dependsOn.some((d) => selected.has(d) && results.get(d)?.outcome === 'succeeded');
      const actions = stale ? await step.plan(session.context(step, io)) : (planned.get(step.id) ?? []);
      const result = await runStep(session, step, actions, io);
      results.set(step.id, result);
      return result;
    },
  }));
}

async function runStep(
  session: EngineSession,
  step: Step,
  planned: Change[],
  io: { log(m: string): void; progress(u: { done: number; total?: number; unit?: string }): void },
): Promise<StepResult> {
  const ctx = session.context(step, io);
  const already = foldSteps(session.journal.all()).get(step.id)?.state === 'succeeded';
  let started = false;
  try {
    const work = planned.filter((c) => c.action !== 'noop');
    if (work.length === 0 && already) {
      return { id: step.id, outcome: 'noop', changes: 0, summary: 'in step, nothing to do' };
    }
    session.journal.append({ type: 'start', stepId: step.id, operation: 'apply' });
    started = true;
    for (const change of work) {
      if (session.signal.aborted) throw session.signal.reason ?? new Error('aborted');
      io.log(`${change.action} ${change.resource}`);
      await step.apply(ctx, change);
    }
    const summary = work.length === 0 ? 'in step, nothing to do' : work.map((c) => c.summary).join('; ');
    session.journal.append({ type: 'success', stepId: step.id, summary });
    return { id: step.id, outcome: work.length === 0 ? 'noop' : 'succeeded', changes: work.length, summary };
  } catch (error) {
    const e = toEngifyError(error, {
      code: 'STEP_FAILED',
      kind: 'system',
      message: `${step.id} failed`,
      hint: messages.errors.unexpectedHint,
    });
    const json = session.loaded.redactor.redactValue(e.toJSON());
    const detail = e.detail ? session.loaded.redactor.redact(e.detail) : undefined;
    if (!started) session.journal.append({ type: 'start', stepId: step.id, operation: 'apply' });
    session.journal.append({ type: 'failure', stepId: step.id, error: json });
    return {
      id: step.id,
      outcome: 'failed',
      changes: 0,
      summary: messages.apply.stepFailed(step.id, json.message),
      error: json,
      detail,
    };
  }
}
