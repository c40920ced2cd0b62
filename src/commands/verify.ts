import { checklist } from '../components/registry.js';
import { ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { ALL_PHASES, selectSteps } from '../engine/select-steps.js';
import { foldSteps, isApplied } from '../engine/step-state.js';
import { verifyTasks } from '../engine/verifier.js';
import { type CommandIo, parsePhase, withSession } from './common.js';

export interface VerifyOptions {
  phase?: string;
}

/** Verifies applied steps (parity) and rolled-back steps (what they created is gone). */
export async function verifyCommand(io: CommandIo, options: VerifyOptions): Promise<ExitCode> {
  let phase: ReturnType<typeof parsePhase>;
  return withSession(
    io,
    {
      before: () => {
        phase = parsePhase(options.phase);
      },
    },
    async (session) => {
      const states = foldSteps(session.journal.all());
      const steps = selectSteps(checklist, session.loaded.config, phase ? [phase] : ALL_PHASES).filter(
        (s) => {
          const state = states.get(s.id)?.state;
          return isApplied(state) || (state === 'rolled-back' && s.verifyRollback !== undefined);
        },
      );
      if (steps.length === 0) {
        io.renderer.info(messages.verify.nothing);
        return ExitCode.ok;
      }
      const results = await io.renderer.runTasks(
        verifyTasks(session, steps, (s) =>
          states.get(s.id)?.state === 'rolled-back' ? 'rolled-back' : 'applied',
        ),
      );
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      for (const r of results) {
        io.renderer.checks(r.id, r.checks);
        passed += r.checks.filter((c) => c.ok).length;
        failed += r.checks.filter((c) => !c.ok && !c.skipped).length;
        skipped += r.checks.filter((c) => c.skipped).length;
      }
      io.renderer.info(messages.verify.done(passed, failed, skipped));
      return failed > 0 ? ExitCode.failed : ExitCode.ok;
    },
  );
}
