import { checklist } from '../components/registry.js';
import { ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { ALL_PHASES, selectSteps } from '../engine/select-steps.js';
import { foldSteps } from '../engine/step-state.js';
import { verifySelection, verifyTasks } from '../engine/verifier.js';
import { type CommandIo, parsePhase, withSession } from './common.js';

export interface VerifyOptions {
  phase?: string;
}

/**
 * Verifies succeeded steps (parity) and rolled-back phases (what they created is gone); a step of a
 * covered phase that has not succeeded is a failed check, so the exit is 1 until the phase is done.
 */
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
      const selected = verifySelection(
        selectSteps(checklist, session.loaded.config, phase ? [phase] : ALL_PHASES),
        states,
        phase,
      );
      if (selected.length === 0) {
        io.renderer.info(messages.verify.nothing);
        return ExitCode.ok;
      }
      const modes = new Map(selected.map(({ step, mode }) => [step.id, mode]));
      const results = await io.renderer.runTasks(
        verifyTasks(
          session,
          selected.map(({ step }) => step),
          (s) => modes.get(s.id) ?? { kind: 'applied' },
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
