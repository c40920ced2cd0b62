import { components } from '../components/registry.js';
import { EngifyError, ExitCode as Exit, type ExitCode, exitCodeFor } from '../core/errors.js';
import { type LoadedConfig, loadConfig } from '../core/load-config.js';
import { messages } from '../core/messages.js';
import type { Phase } from '../core/step.js';
import { preflight } from '../engine/preflight.js';
import { EngineSession, type SessionOptions } from '../engine/session.js';
import { createRenderer, pickMode, type Renderer } from '../ui/renderer.js';

export interface GlobalOptions {
  config: string;
  json?: boolean;
  verbose?: boolean;
}

export interface CommandIo {
  renderer: Renderer;
  global: GlobalOptions;
}

export function makeIo(global: GlobalOptions): CommandIo {
  return { renderer: createRenderer(pickMode(global), global.verbose), global };
}

/** Runs a command body, turning any thrown error into a rendered message and an exit code. */
export async function guarded(
  io: CommandIo,
  body: () => Promise<ExitCode>,
  redact?: () => LoadedConfig | undefined,
): Promise<ExitCode> {
  try {
    return await body();
  } catch (error) {
    const loaded = redact?.();
    const e =
      error instanceof EngifyError
        ? error
        : new EngifyError({
            code: 'UNEXPECTED',
            kind: 'system',
            message: messages.errors.unexpected,
            hint: messages.errors.unexpectedHint,
            detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
          });
    const shown = loaded
      ? new EngifyError({
          code: e.code,
          kind: e.kind,
          message: loaded.redactor.redact(e.message),
          hint: e.hint ? loaded.redactor.redact(e.hint) : undefined,
          detail: e.detail ? loaded.redactor.redact(e.detail) : undefined,
        })
      : e;
    io.renderer.error(shown, io.global.verbose === true);
    return error instanceof EngifyError ? exitCodeFor(e) : Exit.failed;
  }
}

export function load(io: CommandIo): LoadedConfig {
  return loadConfig(io.global.config);
}

export function parsePhase(value: string | undefined): Phase | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-4]$/.test(value)) {
    throw new EngifyError({ code: 'USAGE', kind: 'config', message: messages.apply.unknownPhase(value) });
  }
  return Number(value) as Phase;
}

/** Asks for confirmation on a terminal; off a terminal, --yes is required. */
export async function confirmOrRefuse(
  io: CommandIo,
  question: string,
  yes: boolean | undefined,
): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY || !process.stdout.isTTY || io.renderer.mode === 'json') {
    throw new EngifyError({ code: 'CONFIRMATION_REQUIRED', kind: 'config', message: messages.apply.notTty });
  }
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message: question, default: false });
}

/**
 * The frame of every command that talks to live systems: load the config, open a session (taking the
 * state lock when asked), check every configured endpoint answers, run the body, always close.
 */
export async function withSession(
  io: CommandIo,
  options: SessionOptions & { before?: (loaded: LoadedConfig) => void },
  body: (session: EngineSession) => Promise<ExitCode>,
): Promise<ExitCode> {
  let loaded: LoadedConfig | undefined;
  return guarded(
    io,
    async () => {
      loaded = load(io);
      options.before?.(loaded);
      const session = new EngineSession(loaded, options);
      try {
        const takeover = session.lockTakeover;
        if (takeover)
          io.renderer.warn(messages.lock.tookOver(takeover.holder, takeover.path, takeover.reason));
        const checked = await preflight(loaded.config, components);
        for (const warning of checked.warnings) io.renderer.warn(warning);
        return await body(session);
      } finally {
        await session.close();
      }
    },
    () => loaded,
  );
}
