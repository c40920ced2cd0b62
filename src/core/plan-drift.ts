import type { Json } from './contracts.js';
import { StalePlanError } from './errors.js';
import { messages } from './messages.js';
import type { Change } from './step.js';

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

const canonical = (value: Json): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );

/**
 * For steps that converge a resource on what the config and the source describe: apply works that out
 * again (it must, to write it), and refuses when it is no longer what plan showed (the source's
 * settings or variables changed in between), instead of writing something nobody reviewed.
 */
export function assertAsPlanned(
  stepId: string,
  change: Change,
  what: string,
  planned: Json,
  now: Json,
): void {
  if (canonical(planned) === canonical(now)) return;
  throw planDrift(stepId, change.resource, `${what} as planned`, `${what} changed`);
}
