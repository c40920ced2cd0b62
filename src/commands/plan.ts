import { dirname, resolve } from 'node:path';
import { checklist, components } from '../components/registry.js';
import { ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { writePlanFile } from '../engine/plan-file.js';
import { changeCounts, planDocument, planError, planReports, planSteps } from '../engine/planner.js';
import { ALL_PHASES, selectSteps } from '../engine/select-steps.js';
import { type CommandIo, parsePhase, withSession } from './common.js';

export interface PlanOptions {
  phase?: string;
  out?: string;
  force?: boolean;
}

export async function planCommand(io: CommandIo, options: PlanOptions): Promise<ExitCode> {
  let phase: ReturnType<typeof parsePhase>;
  return withSession(
    io,
    {
      force: options.force,
      before: () => {
        phase = parsePhase(options.phase);
      },
    },
    async (session) => {
      const phases = phase ? [phase] : ALL_PHASES;
      const steps = selectSteps(checklist, session.loaded.config, phases);
      const planned = await planSteps(session, steps);
      const now = new Date();
      const reports = planReports(
        components,
        session.loaded.config,
        dirname(session.loaded.path),
        planned,
        now,
      );
      const doc = planDocument(session, phases, planned, options.force === true, reports, now);
      io.renderer.plan(doc);
      for (const r of reports) for (const w of r.warnings) io.renderer.warn(w);
      io.renderer.info(messages.plan.summary(changeCounts(planned)));
      if (options.out) {
        const out = resolve(options.out);
        writePlanFile(out, doc);
        io.renderer.info(messages.plan.saved(out));
      }
      const error = planError(planned);
      if (error) {
        io.renderer.error(error, io.global.verbose === true);
        return error.kind === 'config' ? ExitCode.usage : ExitCode.failed;
      }
      return ExitCode.ok;
    },
  );
}
