import { checklist, components } from '../components/registry.js';
import { EngifyError, ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { componentsAwayFromSource, cutover, releaseReverseCapture } from '../engine/cutover.js';
import { rollbackOrder, rollbackTasks } from '../engine/rollback.js';
import { ALL_PHASES } from '../engine/select-steps.js';
import { foldSteps, isApplied } from '../engine/step-state.js';
import { type CommandIo, confirmOrRefuse, parsePhase, withSession } from './common.js';

export interface RollbackOptions {
  phase?: string;
  yes?: boolean;
  /** Delete a provisioned database instance without its final snapshot. */
  skipFinalSnapshot?: boolean;
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
      rollbackFlags: { yes: options.yes === true, skipFinalSnapshot: options.skipFinalSnapshot === true },
      before: () => {
        phase = parsePhase(options.phase);
      },
    },
    async (session) => {
      // After cutover, rollback means "switch traffic back without losing writes made on AWS": drain
      // reverse sync and flip the flags back. Undoing the migration itself is a second rollback.
      const away = await componentsAwayFromSource(session, components);
      if (away.length > 0 && !phase) {
        io.renderer.info(messages.cutover.rollbackFlipsFirst(away));
        if (
          !(await confirmOrRefuse(
            io,
            messages.rollback.confirm(away.map((c) => `cutover.${c}`)),
            options.yes,
          ))
        ) {
          io.renderer.info(messages.apply.declined);
          return ExitCode.ok;
        }
        const results = await io.renderer.runTasks(
          away.map((component) => ({
            id: `cutover.${component}`,
            title: `switch ${component} back to the old side`,
            run: async (taskIo) => {
              try {
                const outcome = await cutover(session, components, component, 'source', { log: taskIo.log });
                return { outcome: 'succeeded' as const, summary: outcome.steps.join('; ') };
              } catch (error) {
                return {
                  outcome: 'failed' as const,
                  summary: error instanceof Error ? error.message : String(error),
                };
              }
            },
          })),
        );
        return results.some((r) => r.outcome === 'failed') ? ExitCode.failed : ExitCode.ok;
      }
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
      // Steps whose undo destroys data beyond recovery (a database instance) need --yes, even on a terminal.
      const destroys = ordered.flatMap((s) => {
        const what = s.rollbackDestroys?.(session.context(s));
        return what ? [`${s.id}: ${what}`] : [];
      });
      if (destroys.length > 0 && !options.yes)
        throw new EngifyError({
          code: 'ROLLBACK_NEEDS_YES',
          kind: 'config',
          message: messages.rollback.destroysNeedYes(destroys),
          hint: messages.rollback.destroysNeedYesHint,
        });
      if (!(await confirmOrRefuse(io, messages.rollback.confirm(ordered.map((s) => s.id)), options.yes))) {
        io.renderer.info(messages.apply.declined);
        return ExitCode.ok;
      }
      await releaseReverseCapture(session, components);
      const results = await io.renderer.runTasks(rollbackTasks(session, ordered, components));
      const failed = results.filter((r) => r.outcome === 'failed');
      for (const r of failed) if (r.error?.hint) io.renderer.info(`  ${r.id}: ${r.error.hint}`);
      io.renderer.info(messages.rollback.done(results.filter((r) => r.outcome === 'succeeded').length));
      return failed.length > 0 ? ExitCode.failed : ExitCode.ok;
    },
  );
}
