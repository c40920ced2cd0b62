import { messages } from '../core/messages.js';
import type { Check, Phase, Step } from '../core/step.js';
import type { TaskReport, UiTask } from '../core/task.js';
import type { EngineSession } from './session.js';
import { isApplied, type StepStatus } from './step-state.js';

// Runs every selected step's verify(). verify() must not throw; if one does anyway, that is turned
// into a failed check so one broken verifier never hides the others' results.

export interface VerifyResult extends TaskReport {
  id: string;
  checks: Check[];
}

/**
 * How one step is verified: its parity checks once it succeeded, its "what it created is gone" checks
 * once its phase was rolled back, or, when it has not finished, one failed check saying so (a half-done
 * step's parity checks would only list what is still missing).
 */
export type VerifyMode =
  | { kind: 'applied' }
  | { kind: 'rolled-back' }
  | { kind: 'unfinished'; status: StepStatus | undefined };

/**
 * Which steps to verify, and how. `verify` is a gate a CI job trusts, so a step of a phase it covers
 * that has not succeeded is a failure, never left out. The phases covered are the one asked for, or
 * without --phase every phase the journal shows in use (some step ran in it), or phase 1 when nothing
 * has run yet. A phase whose steps were all rolled back (or never ran) is checked as rolled back.
 */
export function verifySelection(
  steps: Step[],
  states: Map<string, StepStatus>,
  phase: Phase | undefined,
): { step: Step; mode: VerifyMode }[] {
  const phases = [...new Set(steps.map((s) => s.phase))].sort((a, b) => a - b);
  const inUse = (p: Phase) => steps.some((s) => s.phase === p && isApplied(states.get(s.id)?.state));
  const rolledBack = (p: Phase) =>
    !inUse(p) && steps.some((s) => s.phase === p && states.get(s.id)?.state === 'rolled-back');
  let covered = phase ? phases.filter((p) => p === phase) : phases.filter((p) => inUse(p) || rolledBack(p));
  if (!phase && covered.length === 0) covered = phases.slice(0, 1);
  const out: { step: Step; mode: VerifyMode }[] = [];
  for (const step of steps) {
    if (!covered.includes(step.phase)) continue;
    const status = states.get(step.id);
    if (rolledBack(step.phase)) {
      if (status?.state === 'rolled-back' && step.verifyRollback)
        out.push({ step, mode: { kind: 'rolled-back' } });
    } else if (status?.state === 'succeeded') out.push({ step, mode: { kind: 'applied' } });
    else out.push({ step, mode: { kind: 'unfinished', status } });
  }
  return out;
}

/** The failed check standing for a step that has not finished: which state the journal has it in. */
export function unfinishedCheck(step: Step, status: StepStatus | undefined): Check {
  const m = messages.verify;
  const state = status?.state ?? 'pending';
  const actual =
    state === 'interrupted'
      ? m.interrupted(status?.at)
      : state === 'failed'
        ? m.failed(status?.error?.message ?? '')
        : state === 'rolled-back'
          ? m.rolledBack
          : m.notApplied;
  const hint =
    state === 'interrupted'
      ? m.interruptedHint(step.phase)
      : state === 'failed'
        ? m.failedHint(step.phase)
        : state === 'rolled-back'
          ? m.rolledBackHint(step.phase)
          : m.notAppliedHint(step.phase);
  return { name: m.appliedCheck(step.id), expected: 'succeeded', actual, ok: false, hint };
}

export function verifyTasks(
  session: EngineSession,
  steps: Step[],
  mode: (step: Step) => VerifyMode = () => ({ kind: 'applied' }),
): UiTask<VerifyResult>[] {
  return steps.map((step) => ({
    id: step.id,
    title: `${step.id}  ${step.title}`,
    run: async (io) => {
      const ctx = session.context(step, io);
      const how = mode(step);
      let checks: Check[];
      try {
        checks =
          how.kind === 'unfinished'
            ? [unfinishedCheck(step, how.status)]
            : how.kind === 'rolled-back'
              ? ((await step.verifyRollback?.(ctx)) ?? [])
              : await step.verify(ctx);
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
