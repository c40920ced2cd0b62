import { components } from '../components/registry.js';
import { EngifyError, ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import type { Component } from '../core/step.js';
import { type CutoverTo, cutover, notCarriedBack } from '../engine/cutover.js';
import { FLAG_COMPONENTS } from '../flags/modes.js';
import { type CommandIo, confirmOrRefuse, withSession } from './common.js';

export interface CutoverOptions {
  component: string;
  to: string;
  yes?: boolean;
  forceUnlock?: boolean;
  /** `--no-backup` sets it false: waives the backup guard. */
  backup?: boolean;
}

export async function cutoverCommand(io: CommandIo, options: CutoverOptions): Promise<ExitCode> {
  let component: Component;
  let to: CutoverTo;
  return withSession(
    io,
    {
      lock: 'cutover',
      forceUnlock: options.forceUnlock,
      before: () => {
        const switched = components.some((c) => c.switch && c.name === options.component);
        if (!(FLAG_COMPONENTS as readonly string[]).includes(options.component) && !switched) {
          throw new EngifyError({
            code: 'USAGE',
            kind: 'config',
            message: messages.cutover.unknownComponent(options.component),
          });
        }
        if (!['target', 'source', 'done'].includes(options.to)) {
          throw new EngifyError({
            code: 'USAGE',
            kind: 'config',
            message: messages.cutover.unknownTarget(options.to),
          });
        }
        component = options.component as Component;
        to = options.to as CutoverTo;
      },
    },
    async (session) => {
      if (to === 'target') {
        const ctx = session.context({ id: `cutover.${component}` });
        const waived = options as unknown as Record<string, unknown>;
        for (const m of components) {
          const guard = m.cutoverGuard;
          if (!guard || waived[guard.option] === false) continue;
          const refused = guard.check(ctx);
          if (refused) throw refused;
        }
      }
      io.renderer.info(messages.cutover.notCarriedHeader);
      for (const line of notCarriedBack(components, component)) io.renderer.info(`  - ${line}`);
      if (!(await confirmOrRefuse(io, messages.cutover.confirm(component, to), options.yes))) {
        io.renderer.info(messages.apply.declined);
        return ExitCode.ok;
      }
      const [result] = await io.renderer.runTasks([
        {
          id: `cutover.${component}`,
          title: `cutover ${component} -> ${to}`,
          // Reported, not thrown: renderers show a failed task; the command turns it into the exit code.
          run: async (taskIo) => {
            try {
              const outcome = await cutover(session, components, component, to, { log: taskIo.log });
              return {
                outcome: 'succeeded' as const,
                summary: outcome.steps.join('; '),
                checks: outcome.checks,
              };
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              return { outcome: 'failed' as const, summary: message, checks: [], error };
            }
          },
        },
      ]);
      if (!result) return ExitCode.failed;
      for (const c of result.checks) io.renderer.checks(c.step, c.checks);
      if (result.error !== undefined) throw result.error;
      return ExitCode.ok;
    },
  );
}
