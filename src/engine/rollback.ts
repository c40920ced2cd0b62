import type { ComponentModule } from '../core/component.js';
import { toEngifyError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import type { TaskReport, UiTask } from '../core/task.js';
import type { EngineSession } from './session.js';
import { foldSteps, isApplied } from './step-state.js';

// Walks the journal back: steps are undone in the reverse of the order they were last started, each
// deleting only what its own journal records say it created. Source data is never touched.

export interface RollbackResult extends TaskReport {
  id: string;
  error?: { code: string; kind: string; message: string; hint?: string };
}

/** Applied steps among `steps`, most recently started first. */
export function rollbackOrder(session: EngineSession, steps: Step[]): Step[] {
  const states = foldSteps(session.journal.all());
  const lastStart = new Map<string, number>();
  for (const r of session.journal.all()) if (r.type === 'start') lastStart.set(r.stepId, r.seq);
  return steps
    .filter((s) => isApplied(states.get(s.id)?.state))
    .sort((a, b) => (lastStart.get(b.id) ?? 0) - (lastStart.get(a.id) ?? 0));
}

/**
 * `components` tells which sync marks build on a step: a rolled-back copy takes the marks of the passes
 * that followed it (watermarks, per-object records), so a later copy starts its passes from nothing.
 */
export function rollbackTasks(
  session: EngineSession,
  ordered: Step[],
  components: readonly ComponentModule[] = [],
): UiTask<RollbackResult>[] {
  let failedBefore: string | undefined;
  return ordered.map((step) => ({
    id: step.id,
    title: `${step.id}  ${step.title}`,
    run: async (io) => {
      // Undo stops at the first failure: undoing an earlier step (say, deleting a table) while a later
      // one still holds data in it would lose that data.
      if (failedBefore) {
        return {
          id: step.id,
          outcome: 'skipped',
          summary: `not rolled back: ${failedBefore} could not be rolled back`,
        };
      }
      const ctx = session.context(step, io);
      try {
        session.journal.append({ type: 'start', stepId: step.id, operation: 'rollback' });
        await step.rollback?.(ctx);
        ctx.marks().clear();
        for (const c of components) if (c.passes?.after === step.id) session.marks(`sync.${c.name}`).clear();
        session.journal.append({ type: 'rolledback', stepId: step.id });
        return { id: step.id, outcome: 'succeeded', summary: 'rolled back' };
      } catch (error) {
        failedBefore = step.id;
        const e = toEngifyError(error, {
          code: 'ROLLBACK_FAILED',
          kind: 'system',
          message: `${step.id} could not be rolled back`,
        });
        const json = session.loaded.redactor.redactValue(e.toJSON());
        return { id: step.id, outcome: 'failed', summary: json.message, error: json };
      }
    },
  }));
}
