import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngifyError, ExitCode } from '../engine/errors.js';
import { findPostgresBin } from '../sandbox/postgres-cluster.js';
import { writeSandboxConfig } from '../sandbox/sandbox-config.js';
import { startLocalStack } from '../sandbox/stack.js';
import { messages } from '../ui/messages.js';
import { applyCommand } from './apply.js';
import { type CommandIo, guarded } from './common.js';
import { planCommand } from './plan.js';
import { rollbackCommand } from './rollback.js';
import { statusCommand } from './status.js';
import { verifyCommand } from './verify.js';

// The whole story on the embedded stack, through the same command functions a user runs.
export async function demoCommand(io: CommandIo, options: { keep?: boolean }): Promise<ExitCode> {
  return guarded(io, async () => {
    if (!findPostgresBin()) throw new EngifyError({ code: 'SANDBOX_NO_POSTGRES', kind: 'config', message: messages.sandbox.noPostgres });
    const started = Date.now();
    io.renderer.info(messages.demo.starting);
    const stack = await startLocalStack();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'engify-demo-'));
      const config = writeSandboxConfig(dir, stack);
      const sub: CommandIo = { ...io, global: { ...io.global, config } };
      io.renderer.info(messages.demo.stackReady(config, stack.endpoints));
      const steps: [string, () => Promise<ExitCode>, ExitCode][] = [
        [messages.demo.stage('plan'), () => planCommand(sub, {}), ExitCode.ok],
        [messages.demo.stage('apply --phase 1'), () => applyCommand(sub, undefined, { phase: '1', yes: true }), ExitCode.ok],
        [messages.demo.stage('apply --phase 1 (again: nothing to do)'), () => applyCommand(sub, undefined, { phase: '1', yes: true }), ExitCode.ok],
        [messages.demo.stage('verify'), () => verifyCommand(sub, {}), ExitCode.ok],
        [messages.demo.stage('status'), () => statusCommand(sub), ExitCode.ok],
        [messages.demo.stage('rollback'), () => rollbackCommand(sub, { yes: true }), ExitCode.ok],
        [messages.demo.stage('verify (after rollback: what was created is gone)'), () => verifyCommand(sub, {}), ExitCode.ok],
      ];
      for (const [title, run, expected] of steps) {
        io.renderer.info(`\n${title}`);
        const code = await run();
        if (code !== expected) {
          io.renderer.info(messages.demo.failed(title, code));
          return ExitCode.failed;
        }
      }
      io.renderer.info(messages.demo.done((Date.now() - started) / 1000));
      if (options.keep) {
        io.renderer.info(messages.sandbox.up(config));
        await new Promise<void>((done) => process.once('SIGINT', done));
      }
      return ExitCode.ok;
    } finally {
      await stack.stop();
    }
  });
}
