import { StalePlanError } from './errors.js';
import { messages } from './messages.js';

/**
 * What apply throws when the state a planned action was decided on is no longer there (someone
 * changed it between plan and apply): the step stops before touching it, and the run exits 4 like a
 * stale saved plan, because the remedy is the same: plan again and review.
 */
export function planDrift(stepId: string, resource: string, planned: string, found: string): StalePlanError {
  return new StalePlanError({
    code: 'PLAN_DRIFT',
    kind: 'config',
    message: messages.plan.drift(stepId, resource, planned, found),
    hint: messages.plan.driftHint,
  });
}
