import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { observe } from '../helpers/observe-phase1.js';

// "After a crash, rerun the same command" (README): a run killed with kill -9 leaves lock.json naming a
// process that no longer exists; the rerun takes the lock over, says so in one line, and finishes.
// The kill lands at a journal position (the first resource recorded as created), not after a delay.

describe('kill -9, then rerun the same command', () => {
  it("apply --phase 1: the rerun takes over the dead run's lock and exits 0", async () => {
    const ws = e2eWorkspace();
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    const journal = join(ws.dir, '.engify', 'journal.jsonl');
    const lockPath = join(ws.dir, '.engify', 'lock.json');
    let killedPid = 0;
    const killed = await runCli(['--config', ws.configPath, 'apply', '--phase', '1', '--yes'], {
      env: ws.env,
      onSpawn: (child) => {
        killedPid = child.pid ?? 0;
        const watch = setInterval(() => {
          if (existsSync(journal) && readFileSync(journal, 'utf8').includes('"type":"created"')) {
            child.kill('SIGKILL');
            clearInterval(watch);
          }
        }, 1);
        child.on('exit', () => clearInterval(watch));
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    // The premise: the dead run's lock is still there, naming it.
    expect((JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number }).pid).toBe(killedPid);

    const rerun = await cli('apply', '--phase', '1', '--yes');
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    const notice = rerun.stderr.split('\n').filter((l) => l.includes('Took over the lock'));
    expect(notice).toHaveLength(1);
    expect(notice[0]).toContain(`pid ${killedPid}`);
    expect(existsSync(lockPath)).toBe(false);
    expect((await observe(ws)).pools).toBe(1);

    const rollback = await cli('rollback', '--yes');
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
  });
});
