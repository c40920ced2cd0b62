import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// A state directory that cannot be made must stop the run at once with exit 2 naming it. Node's own
// recursive mkdir loops forever under /proc (ENOENT, then EEXIST on the parent, and again), so every
// run here has a watchdog: a spinning CLI is killed and fails the test instead of hanging the suite.

const WATCHDOG_MS = 20_000;

function runGuarded(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCli(args, {
    env,
    onSpawn: (child) => {
      const watchdog = setTimeout(() => child.kill('SIGKILL'), WATCHDOG_MS);
      child.on('exit', () => clearTimeout(watchdog));
    },
  });
}

describe('a state directory that cannot be created', () => {
  it('status with stateDir under /proc exits 2 naming the path, and does not spin', async () => {
    const ws = e2eWorkspace((c) => {
      c.stateDir = '/proc/engify-state';
    });
    const r = await runGuarded(['--config', ws.configPath, 'status'], ws.env);
    expect(r.signal, 'the CLI spun until the watchdog killed it').toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('/proc/engify-state');
    expect(r.stderr).toContain('ENOENT');
    expect(r.stderr).toContain('stateDir');
  }, 30_000);

  it('apply with stateDir nested under /proc exits 2 naming the path', async () => {
    const ws = e2eWorkspace((c) => {
      c.stateDir = '/proc/engify-a/b';
    });
    const r = await runGuarded(['--config', ws.configPath, 'apply', '--phase', '1', '--yes'], ws.env);
    expect(r.signal, 'the CLI spun until the watchdog killed it').toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('/proc/engify-a/b');
  }, 30_000);

  it('a stateDir that is a file exits 2 naming the path', async () => {
    const ws = e2eWorkspace((c) => {
      c.stateDir = 'state-is-a-file';
    });
    writeFileSync(join(ws.dir, 'state-is-a-file'), 'not a folder');
    const r = await runGuarded(['--config', ws.configPath, 'status'], ws.env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(join(ws.dir, 'state-is-a-file'));
    expect(r.stderr).toContain('ENOTDIR');
  }, 30_000);
});
