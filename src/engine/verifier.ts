import type { Check, Step } from '../core/step.js';
import type { TaskReport, UiTask } from '../core/task.js';
import type { EngineSession } from './session.js';

// Runs every selected step's verify(). verify() must not throw; if one does anyway, that is turned
// into a failed check so one broken verifier never hides the others' results.

export interface VerifyResult extends TaskReport {
  id: string;
  checks: Check[];
}

export function verifyTasks(
  session: EngineSession,
  steps: Step[],
  mode: (step: Step) => 'applied' | 'rolled-back' = () => 'applied',
): UiTask<VerifyResult>[] {
  return steps.map((step) => ({
    id: step.id,
    title: `${step.id}  ${step.title}`,
    run: async (io) => {
      const ctx = session.context(step, io);
      let checks: Check[];
      try {
        checks =
          mode(step) === 'rolled-back' ? ((await step.verifyRollback?.(ctx)) ?? []) : await step.verify(ctx);
      } catch (error) {
        checks = [
          {
            name: `${step.id} verifier`,
            expected: 'completes',
            actual: session.loaded.redactor.redact(error instanceof Error ? error.message : String(error)),
            ok: false,
            hint: 'This is a bug in the verifier; rerun with --verbose and report it.',
          },
        ];
      }
      checks = session.loaded.redactor.redactValue(checks);
      const failed = checks.filter((c) => !c.ok && !c.skipped).length;
      const passed = checks.filter((c) => c.ok).length;
      const skipped = checks.filter((c) => c.skipped).length;
      return {
        id: step.id,
        checks,
        outcome: failed > 0 ? 'failed' : 'succeeded',
        summary: `${passed} passed${failed ? `, ${failed} failed` : ''}${skipped ? `, ${skipped} skipped` : ''}`,
      };
    },
  }));
}
