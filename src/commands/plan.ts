import { resolve } from 'node:path';
import { ExitCode } from '../engine/errors.js';
import { changeCounts, planDocument, planError, planSteps } from '../engine/planner.js';
import { checkReachable } from '../engine/preflight.js';
import { ALL_PHASES, selectSteps } from '../engine/select-steps.js';
import { EngineSession } from '../engine/session.js';
import { checklist } from '../plans/checklist.js';
import { writePlanFile } from '../plans/plan-file.js';
import { messages } from '../ui/messages.js';
import { type CommandIo, guarded, load, parsePhase } from './common.js';

export interface PlanOptions {
  phase?: string;
  out?: string;
  force?: boolean;
}

export async function planCommand(io: CommandIo, options: PlanOptions): Promise<ExitCode> {
  let loaded: ReturnType<typeof load> | undefined;
  return guarded(
    io,
    async () => {
      const phase = parsePhase(options.phase);
      loaded = load(io);
      await checkReachable(loaded.config);
      const phases = phase ? [phase] : ALL_PHASES;
      const session = new EngineSession(loaded, { force: options.force });
      try {
        const steps = selectSteps(checklist, loaded.config, phases);
        const planned = await planSteps(session, steps);
        const doc = planDocument(session, phases, planned, options.force === true);
        io.renderer.plan(doc);
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
      } finally {
        await session.close();
      }
    },
    () => loaded,
  );
}
