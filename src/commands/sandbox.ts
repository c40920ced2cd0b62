import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EngifyError, ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { type CommandIo, guarded } from './common.js';
import { missingVectorSteps } from './demo.js';

// The demo's stack, seeded, kept running for trying commands by hand; Ctrl-C stops everything.
export async function sandboxUpCommand(io: CommandIo, options: { dir: string }): Promise<ExitCode> {
  return guarded(io, async () => {
    const { findPostgresBin } = await import('../sandbox/postgres-cluster.js');
    if (!findPostgresBin())
      throw new EngifyError({
        code: 'SANDBOX_NO_POSTGRES',
        kind: 'config',
        message: messages.sandbox.noPostgres,
      });
    const { startDemoStack } = await import('../sandbox/demo-stack.js');
    const { seedDemo } = await import('../sandbox/demo-seed.js');
    const { demoEnv, writeDemoConfig } = await import('../sandbox/sandbox-config.js');
    io.renderer.info(messages.demo.starting);
    const stack = await startDemoStack();
    try {
      const missing = missingVectorSteps();
      const path = writeDemoConfig(resolve(options.dir), stack, { vectors: missing.length === 0 });
      io.renderer.info(messages.sandbox.seeding);
      io.renderer.info(messages.demo.seeded(await seedDemo(stack)));
      if (missing.length > 0) io.renderer.warn(messages.demo.vectorsMissing(missing));
      // The per-run local keys the config reads through ${VAR} go to a private file, not the terminal.
      const envFile = join(dirname(path), 'sandbox.env');
      writeFileSync(
        envFile,
        `${Object.entries(demoEnv(stack))
          .map(([k, v]) => `export ${k}=${v}`)
          .join('\n')}\n`,
        { mode: 0o600 },
      );
      io.renderer.data('sandbox', { config: path, env: `. ${envFile}`, ...stack.endpoints });
      io.renderer.info(messages.sandbox.up(path));
      await new Promise<void>((done) => {
        process.once('SIGINT', () => done());
        process.once('SIGTERM', () => done());
      });
      return ExitCode.ok;
    } finally {
      await stack.stop();
    }
  });
}
