import { components } from '../components/registry.js';
import { ExitCode } from '../core/errors.js';
import { runSyncLoop } from '../engine/sync-loop.js';
import { type CommandIo, withSession } from './common.js';

export interface SyncOptions {
  once?: boolean;
  forceUnlock?: boolean;
}

/** Long-running: keeps old and new in step until Ctrl-C / SIGTERM (or, with --once, until caught up). */
export async function syncCommand(io: CommandIo, options: SyncOptions): Promise<ExitCode> {
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('stopped by signal'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await withSession(
      io,
      { lock: 'sync', forceUnlock: options.forceUnlock, signal: stop.signal },
      async (session) => {
        await runSyncLoop(session, components, {
          log: (m) => io.renderer.info(m),
          signal: stop.signal,
          once: options.once === true,
        });
        return ExitCode.ok;
      },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
