import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { EngifyError, StalePlanError } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { type PlanDocument, planDigest } from '../engine/planner.js';

/**
 * Writes atomically (temp file + rename) so a crash never leaves half a plan behind. A path that cannot
 * take the file is the user's to fix (exit 2), so the error names it and the errno.
 */
export function writePlanFile(path: string, plan: PlanDocument): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(plan, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    const code = String((error as NodeJS.ErrnoException).code ?? 'error');
    throw new EngifyError({
      code: 'PLAN_UNWRITABLE',
      kind: 'config',
      message: messages.plan.unwritable(path, code),
      hint: messages.plan.unwritableHint,
      detail: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
}

export function readPlanFile(path: string): PlanDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EngifyError({
      code: 'PLAN_UNREADABLE',
      kind: 'config',
      message: messages.plan.unreadable(path, error instanceof Error ? error.message : String(error)),
      hint: messages.plan.unreadableHint,
    });
  }
  const doc = parsed as Partial<PlanDocument>;
  if (doc.format !== 'engify-migrate/plan@1' || !Array.isArray(doc.steps) || !Array.isArray(doc.phases)) {
    throw new EngifyError({
      code: 'PLAN_UNREADABLE',
      kind: 'config',
      message: messages.plan.unreadable(path, 'not an engify-migrate plan (format engify-migrate/plan@1)'),
      hint: messages.plan.unreadableHint,
    });
  }
  // A plan is applied as written, so one that is not exactly what `plan --out` wrote is refused (exit 4,
  // as a stale one is): its actions were never planned against this config and this live state.
  if (typeof doc.digest !== 'string' || doc.digest !== planDigest(doc as PlanDocument)) {
    throw new StalePlanError({
      code: 'PLAN_EDITED',
      kind: 'config',
      message: messages.plan.edited(path),
      hint: messages.plan.editedHint,
    });
  }
  return doc as PlanDocument;
}
