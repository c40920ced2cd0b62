import { checklist } from '../components/registry.js';
import { EngifyError, ExitCode, STALE_PLAN_CODES, StalePlanError } from '../core/errors.js';
import { messages } from '../core/messages.js';
import type { Change, Phase } from '../core/step.js';
import { applyTasks } from '../engine/executor.js';
import { readPlanFile } from '../engine/plan-file.js';
import {
  changeCounts,
  configHash,
  type PlanDocument,
  planActions,
  planDocument,
  planError,
  stateHash,
} from '../engine/planner.js';
import { ALL_PHASES, selectSteps } from '../engine/select-steps.js';
import { blockingSteps, foldSteps } from '../engine/step-state.js';
import { type CommandIo, confirmOrRefuse, parsePhase, withSession } from './common.js';

export interface ApplyOptions {
  phase?: string;
  yes?: boolean;
  force?: boolean;
  forceUnlock?: boolean;
}

export async function applyCommand(
  io: CommandIo,
  planFile: string | undefined,
  options: ApplyOptions,
): Promise<ExitCode> {
  let phaseArg: Phase | undefined;
  let saved: PlanDocument | undefined;
  return withSession(
    io,
    {
      lock: 'apply',
      forceUnlock: options.forceUnlock,
      force: options.force,
      before: (loaded) => {
        phaseArg = parsePhase(options.phase);
        saved = planFile ? readPlanFile(planFile) : undefined;
        if (saved && saved.configHash !== configHash(loaded.raw)) {
          throw new StalePlanError({
            code: 'PLAN_STALE',
            kind: 'config',
            message: messages.plan.stale(messages.plan.configChanged),
            hint: messages.plan.staleHint,
          });
        }
      },
    },
    async (session) => {
      const config = session.loaded.config;
      const phases: Phase[] = saved ? saved.phases : phaseArg ? [phaseArg] : ALL_PHASES;
      const force = options.force === true || saved?.forced === true;
      const gate = (phase: Phase) => {
        if (phase === 1) return;
        const enabledEarlier = selectSteps(checklist, config, [(phase - 1) as Phase]);
        const blocking = blockingSteps(phase, enabledEarlier, foldSteps(session.journal.all()));
        if (blocking.length > 0) {
          throw new EngifyError({
            code: 'PHASE_ORDER',
            kind: 'config',
            message: messages.apply.phaseOrder(phase, blocking),
            hint: messages.apply.phaseOrderHint(phase),
          });
        }
      };
      // The first phase asked for must be allowed before anything is planned or shown.
      if (!force && phases[0] !== undefined) gate(phases[0]);
      const all = selectSteps(checklist, config, phases);
      const { plans: planned, actions } = await planActions(session, all);
      const reviewed = saved;
      if (reviewed) {
        if (stateHash(planned) !== reviewed.stateHash) {
          const changedSteps = planned
            .filter(
              (p) =>
                JSON.stringify(p.changes) !==
                JSON.stringify(reviewed.steps.find((s) => s.id === p.id)?.changes),
            )
            .map((p) => p.id);
          throw new StalePlanError({
            code: 'PLAN_STALE',
            kind: 'config',
            message: messages.plan.stale(
              messages.plan.stateChanged(changedSteps.length ? changedSteps : ['(step set)']),
            ),
            hint: messages.plan.staleHint,
          });
        }
      }
      const error = planError(planned);
      io.renderer.plan(planDocument(session, phases, planned, force));
      if (error) throw error;
      const counts = changeCounts(planned);
      const work = planned.reduce((n, s) => n + s.changes.filter((c) => c.action !== 'noop').length, 0);
      io.renderer.info(messages.plan.summary(counts));
      if (force) io.renderer.warn(messages.plan.forced);
      if (work > 0 && !(await confirmOrRefuse(io, messages.apply.confirm(phases, work), options.yes))) {
        io.renderer.info(messages.apply.declined);
        return ExitCode.ok;
      }

      let ok = 0;
      let failed = 0;
      let skipped = 0;
      // What was planned above is applied as planned. Only a phase that runs after an earlier phase of
      // this same run changed something is planned again, right before it runs: its plan above was
      // made before what it builds on existed. A saved plan is always applied as reviewed.
      let earlierChanged = false;
      let drifted = false;
      for (const phase of phases) {
        if (!force) gate(phase);
        const steps = all.filter((s) => s.phase === phase);
        if (steps.length === 0) continue;
        let phaseActions: ReadonlyMap<string, Change[]> = actions;
        if (saved) {
          phaseActions = new Map(saved.steps.map((s) => [s.id, s.changes]));
        } else if (earlierChanged) {
          const again = await planActions(session, steps);
          const replanError = planError(again.plans);
          if (replanError) throw replanError;
          io.renderer.info(messages.apply.replanned(phase, changeCounts(again.plans)));
          phaseActions = again.actions;
        }
        const results = await io.renderer.runTasks(applyTasks(session, steps, phaseActions));
        if (results.some((r) => r.outcome === 'succeeded')) earlierChanged = true;
        ok += results.filter((r) => r.outcome === 'succeeded' || r.outcome === 'noop').length;
        failed += results.filter((r) => r.outcome === 'failed').length;
        if (results.some((r) => r.error && STALE_PLAN_CODES.has(r.error.code))) drifted = true;
        skipped += results.filter((r) => r.outcome === 'skipped').length;
        for (const r of results) {
          if (r.error?.hint) io.renderer.info(`  ${r.id}: ${r.error.hint}`);
          if (r.detail && io.global.verbose) io.renderer.info(`  ${r.id}: ${r.detail}`);
        }
        if (failed > 0) break;
      }
      io.renderer.info(messages.apply.done(ok, failed, skipped));
      if (drifted) return ExitCode.stalePlan;
      return failed > 0 ? ExitCode.failed : ExitCode.ok;
    },
  );
}
