import { resolve } from 'node:path';
import { EngifyError, ExitCode } from '../engine/errors.js';
import { SANDBOX_ENV, writeSandboxConfig } from '../sandbox/sandbox-config.js';
import { findPostgresBin } from '../sandbox/postgres-cluster.js';
import { startLocalStack } from '../sandbox/stack.js';
import { messages } from '../ui/messages.js';
import { type CommandIo, guarded } from './common.js';

export async function sandboxUpCommand(io: CommandIo, options: { dir: string }): Promise<ExitCode> {
  return guarded(io, async () => {
    if (!findPostgresBin()) throw new EngifyError({ code: 'SANDBOX_NO_POSTGRES', kind: 'config', message: messages.sandbox.noPostgres });
    const stack = await startLocalStack();
    const path = writeSandboxConfig(resolve(options.dir), stack);
    io.renderer.data('sandbox', {
      config: path,
      postgres: stack.postgres.url(),
      ...stack.endpoints,
      env: Object.entries(SANDBOX_ENV).map(([k, v]) => `export ${k}=${v}`).join('; '),
    });
    io.renderer.info(messages.sandbox.up(path));
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await stack.stop();
    return ExitCode.ok;
  });
}
