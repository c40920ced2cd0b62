import type { Config } from '../config/schema.js';
import type { Phase, Step } from '../core/step.js';

/** Enabled steps of the given phases, in dependency order (stable with respect to the checklist order). */
export function selectSteps(all: Step[], config: Config, phases: Phase[]): Step[] {
  const enabled = all.filter((s) => phases.includes(s.phase) && s.enabled(config));
  return topoSort(enabled);
}

export function topoSort(steps: Step[]): Step[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const out: Step[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (step: Step, path: string[]) => {
    const seen = state.get(step.id);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`dependency cycle: ${[...path, step.id].join(' -> ')}`);
    state.set(step.id, 'visiting');
    for (const dep of step.dependsOn) {
      const d = byId.get(dep);
      // Dependencies outside the selection (an earlier phase) are enforced by phase gating instead.
      if (d) visit(d, [...path, step.id]);
    }
    state.set(step.id, 'done');
    out.push(step);
  };
  for (const s of steps) visit(s, []);
  return out;
}

export const ALL_PHASES: Phase[] = [1, 2, 3, 4];
