import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { observe } from '../helpers/observe-phase1.js';
import { mulberry32 } from '../helpers/seeded-random.js';

// kill -9 at seeded random points of `apply --phase 1`, then rerun: the end state must equal a clean
// run's, and rollback must remove everything (a resource created just before the kill included).
// The kill points are journal positions, not wall-clock delays, so they land mid-run however loaded the
// machine is: the test watches the journal and kills the moment the k-th record appears.

describe('kill -9 during apply, then rerun', () => {
  it('ends in the same state as a clean run, over seeded trials', async () => {
    // A clean run tells how many journal records a full apply writes.
    const clean = e2eWorkspace();
    const cleanRun = await runCli(['--config', clean.configPath, 'apply', '--phase', '1', '--yes'], {
      env: clean.env,
    });
    expect(cleanRun.code).toBe(0);
    const records = readFileSync(join(clean.dir, '.engify', 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n').length;
    expect(records).toBeGreaterThan(5);
    const expected = await observe(clean);
    expect(expected.pools).toBe(1);

    const random = mulberry32(20261121);
    let interruptedMidRun = 0;
    const trials = 6;
    for (let i = 0; i < trials; i++) {
      const ws = e2eWorkspace();
      const killAt = 1 + Math.floor(random() * (records - 1));
      const journal = join(ws.dir, '.engify', 'journal.jsonl');
      const killed = await runCli(['--config', ws.configPath, 'apply', '--phase', '1', '--yes'], {
        env: ws.env,
        onSpawn: (child) => {
          const watch = setInterval(() => {
            const n = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').length - 1 : 0;
            if (n >= killAt) {
              child.kill('SIGKILL');
              clearInterval(watch);
            }
          }, 1);
          child.on('exit', () => clearInterval(watch));
        },
      });
      const text = existsSync(journal) ? readFileSync(journal, 'utf8') : '';
      expect(killed.signal).toBe('SIGKILL');
      const starts = (text.match(/"type":"start"/g) ?? []).length;
      const successes = (text.match(/"type":"success"/g) ?? []).length;
      if (killed.signal === 'SIGKILL' && starts > successes) interruptedMidRun++;

      // The dead run's lock names a process that is gone: the plain rerun takes it over (README: "After a
      // crash, rerun the same command").
      const rerun = await runCli(['--config', ws.configPath, 'apply', '--phase', '1', '--yes'], {
        env: ws.env,
      });
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
      const state = await observe(ws);
      expect(state.pools).toBe(expected.pools);
      expect(state.clients).toEqual([`${ws.project}-web`]);
      expect(state.bucket).toBe(expected.bucket);
      expect(state.flags).toEqual(expected.flags);
      const verify = await runCli(['--config', ws.configPath, 'verify'], { env: ws.env });
      expect(verify.code, verify.stdout).toBe(0);

      // Nothing is orphaned: rollback removes all of it, including what the killed run created.
      const rollback = await runCli(['--config', ws.configPath, 'rollback', '--yes'], { env: ws.env });
      expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
      expect(await observe(ws)).toEqual({ pools: 0, clients: [], bucket: false, flags: null });
    }
    // The trials must actually have cut runs in the middle, or this test proves nothing.
    expect(interruptedMidRun).toBeGreaterThanOrEqual(trials / 2);
  }, 240_000);
});
