import { join } from 'node:path';
import { checklist, components } from '../components/registry.js';
import { ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { createServices } from '../core/services.js';
import { foldSteps } from '../engine/step-state.js';
import { openFlagStore } from '../flags/open-store.js';
import { readJournal } from '../state/journal.js';
import { StateLock } from '../state/lock.js';
import { readSyncReport } from '../state/sync-status.js';
import { type CommandIo, guarded, load } from './common.js';

/** Where every phase and step stands, folded from the journal; read-only, takes no lock. */
export async function statusCommand(io: CommandIo): Promise<ExitCode> {
  return guarded(io, async () => {
    const loaded = load(io);
    const records = readJournal(join(loaded.stateDir, 'journal.jsonl'));
    const holder = new StateLock(loaded.stateDir).holder();
    if (holder) io.renderer.data('lock', { ...holder });
    if (records.length === 0) {
      io.renderer.info(messages.status.none);
      return ExitCode.ok;
    }
    const states = foldSteps(records);
    const services = createServices(loaded.config.target.aws);
    try {
      const flags = await openFlagStore(loaded.config.flags, services);
      if (await flags.exists()) {
        const modes = await flags.read();
        for (const [component, flag] of Object.entries(modes)) {
          io.renderer.data(`flag ${component}`, {
            mode: flag.mode,
            since: flag.updatedAt,
            by: flag.updatedBy,
          });
        }
      }
    } catch (error) {
      io.renderer.warn(
        loaded.redactor.redact(
          `flag store unreadable: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    } finally {
      // What components add (alarm states, for one), each on its own line; a hook reports its own
      // failures as lines.
      for (const c of components)
        for (const line of (await c.status?.({ config: loaded.config, services }).catch(() => [])) ?? [])
          io.renderer.data(line.label, line.data);
      await services.close();
    }
    const sync = readSyncReport(loaded.stateDir);
    if (sync) {
      for (const s of sync.streams) {
        io.renderer.data(`sync ${s.component}`, {
          running: sync.running,
          direction: s.stats.direction,
          mode: s.stats.mode,
          state: sync.running ? s.stats.state : 'stopped',
          ...(s.lag ? { lagSeconds: s.lag.seconds, lagChanges: `${s.lag.changes} ${s.lag.unit}` } : {}),
          changesApplied: s.stats.changesApplied,
          changesPerSecond: s.stats.changesPerSecond,
          ...(s.stats.lastError
            ? { lastError: `${s.stats.lastError.message} (${s.stats.lastError.at})` }
            : {}),
          reportedAt: sync.updatedAt,
        });
      }
      for (const [component, report] of Object.entries(sync.observers ?? {}))
        io.renderer.data(`sync observer ${component}`, report);
    }
    for (const phase of [1, 2, 3, 4] as const) {
      for (const step of checklist.filter((s) => s.phase === phase)) {
        const st = states.get(step.id);
        if (!st && !step.enabled(loaded.config)) continue;
        io.renderer.data(`phase ${phase} ${step.id}`, {
          state: st?.state ?? 'pending',
          ...(st?.at ? { since: st.at } : {}),
          ...(st?.summary ? { summary: st.summary } : {}),
          ...(st?.error ? { error: st.error.message } : {}),
          ...(st && st.checkpoints.length > 0
            ? {
                progress: st.checkpoints
                  .map((c) => `${c.stream}: ${c.count}${c.done ? ' (done)' : ''}`)
                  .join(', '),
              }
            : {}),
        });
      }
    }
    return ExitCode.ok;
  });
}
