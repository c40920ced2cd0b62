import { EngifyError, ExitCode } from '../engine/errors.js';
import { rollbackOrder, rollbackTasks } from '../engine/rollback.js';
import { ALL_PHASES } from '../engine/select-steps.js';
import { foldSteps, isApplied } from '../engine/step-state.js';
import { checklist } from '../plans/checklist.js';
import { messages } from '../ui/messages.js';
import { type CommandIo, confirmOrRefuse, parsePhase, withSession } from './common.js';

export interface RollbackOptions {
  phase?: string;
  yes?: boolean;
  force?: boolean;
  forceUnlock?: boolean;
}

export async function rollbackCommand(io: CommandIo, options: RollbackOptions): Promise<ExitCode> {
  let phase: ReturnType<typeof parsePhase>;
  return withSession(
    io,
    {
      lock: 'rollback',
      forceUnlock: options.forceUnlock,
      force: options.force,
      before: () => (phase = parsePhase(options.phase)),
    },
    async (session) => {
      const states = foldSteps(session.journal.all());
      // Steps are taken from the journal, not from the config: a section removed from the config
      // still has to be undone.
      const phases = phase ? [phase] : ALL_PHASES;
      if (phase && !options.force) {
        const p = phase;
        const later = [
          ...new Set(
            checklist.filter((s) => s.phase > p && isApplied(states.get(s.id)?.state)).map((s) => s.phase),
          ),
        ];
        if (later.length > 0) {
          throw new EngifyError({
            code: 'ROLLBACK_ORDER',
            kind: 'config',
            message: messages.rollback.laterPhase(p, later),
            hint: messages.rollback.laterPhaseHint(later),
          });
        }
      }
      const ordered = rollbackOrder(
        session,
        checklist.filter((s) => phases.includes(s.phase)),
      );
      if (ordered.length === 0) {
        io.renderer.info(messages.rollback.nothing);
        return ExitCode.ok;
      }
      if (!(await confirmOrRefuse(io, messages.rollback.confirm(ordered.map((s) => s.id)), options.yes))) {
        io.renderer.info(messages.apply.declined);
        return ExitCode.ok;
      }
      const results = await io.renderer.runTasks(rollbackTasks(session, ordered));
      const failed = results.filter((r) => r.outcome === 'failed');
      for (const r of failed) if (r.error?.hint) io.renderer.info(`  ${r.id}: ${r.error.hint}`);
      io.renderer.info(messages.rollback.done(results.filter((r) => r.outcome === 'succeeded').length));
      return failed.length > 0 ? ExitCode.failed : ExitCode.ok;
    },
  );
}
