import type { Phase, Step } from '../core/step.js';
import type { JournalRecord } from '../state/journal.js';

// Folds the journal into where each step stands. The journal is the only source of truth; nothing
// derived is stored.

export type StepState = 'pending' | 'interrupted' | 'succeeded' | 'failed' | 'rolled-back';

export interface StepStatus {
  id: string;
  state: StepState;
  /** When the state was reached. */
  at?: string;
  summary?: string;
  error?: { code: string; kind: string; message: string };
  checkpoints: { stream: string; count: number; done: boolean }[];
}

export function foldSteps(records: readonly JournalRecord[]): Map<string, StepStatus> {
  const out = new Map<string, StepStatus>();
  const get = (id: string): StepStatus => {
    let found = out.get(id);
    if (!found) {
      found = { id, state: 'pending', checkpoints: [] };
      out.set(id, found);
    }
    return found;
  };
  for (const r of records) {
    const s = get(r.stepId);
    switch (r.type) {
      case 'start':
        if (r.operation === 'apply') {
          s.state = 'interrupted';
          s.at = r.at;
          s.error = undefined;
        }
        break;
      case 'success':
        s.state = 'succeeded';
        s.at = r.at;
        s.summary = r.summary;
        break;
      case 'failure':
        s.state = 'failed';
        s.at = r.at;
        s.error = r.error;
        break;
      case 'rolledback':
        s.state = 'rolled-back';
        s.at = r.at;
        s.checkpoints = [];
        break;
      case 'checkpoint': {
        const c = s.checkpoints.find((x) => x.stream === r.stream);
        if (c) {
          c.count += r.count;
          c.done = r.done === true;
        } else s.checkpoints.push({ stream: r.stream, count: r.count, done: r.done === true });
        break;
      }
      case 'undone':
        if (r.stream) s.checkpoints = s.checkpoints.filter((c) => c.stream !== r.stream);
        break;
      default:
        break;
    }
  }
  return out;
}

/** Steps of `phase - 1` that have not succeeded (those block `apply --phase phase`). */
export function blockingSteps(phase: Phase, steps: Step[], states: Map<string, StepStatus>): string[] {
  return steps
    .filter((s) => s.phase === phase - 1)
    .filter((s) => states.get(s.id)?.state !== 'succeeded')
    .map((s) => s.id);
}

/** A step is "applied" (something of it may exist) unless it never ran or was rolled back. */
export function isApplied(state: StepState | undefined): boolean {
  return state !== undefined && state !== 'pending' && state !== 'rolled-back';
}
