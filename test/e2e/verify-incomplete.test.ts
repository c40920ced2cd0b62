import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// `verify` is a CI gate: a phase that has not finished must fail it (exit 1), each unfinished step
// named as a failed check saying whether it never ran or was cut off. With this config phase 1 is
// auth.pool, files.bucket, flags.store; the run is killed the moment auth.pool journals its intent to
// create the pool, so auth.pool is cut off part-way and the other two never start.

const out = (r: CliResult) => r.stdout + r.stderr;

function workspace() {
  const ws = e2eWorkspace();
  const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
  return { ...ws, cli, journal: join(ws.dir, '.engify', 'journal.jsonl') };
}

const notApplied = (step: string) => `✗ ${step}: ${step} applied (expected succeeded, got not applied)`;

describe('verify on a phase that has not finished', () => {
  it('a fresh state directory: every step of phase 1 is a failed check "not applied", exit 1', async () => {
    const w = workspace();
    const r = await w.cli('verify');
    expect(r.code, out(r)).toBe(1);
    expect(r.stdout).not.toContain('Nothing to verify');
    for (const step of ['auth.pool', 'files.bucket', 'flags.store'])
      expect(r.stdout).toContain(notApplied(step));
    expect(r.stdout).toContain('engify-migrate apply --phase 1');
    expect(r.stdout).toContain('0 check(s) passed, 3 failed, 0 skipped.');
  });

  it('kill -9 mid phase: verify --phase 1 and verify exit 1 naming the interrupted and the never-run steps', async () => {
    const w = workspace();
    const killed = await runCli(['--config', w.configPath, 'apply', '--phase', '1', '--yes'], {
      env: w.env,
      onSpawn: (child) => {
        const watch = setInterval(() => {
          if (
            existsSync(w.journal) &&
            readFileSync(w.journal, 'utf8').includes('"type":"intent","stepId":"auth.pool"')
          ) {
            child.kill('SIGKILL');
            clearInterval(watch);
          }
        }, 1);
        child.on('exit', () => clearInterval(watch));
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const journal = readFileSync(w.journal, 'utf8');
    expect(journal).not.toContain('"type":"success"');
    expect(journal).not.toContain('"stepId":"files.bucket"');

    for (const args of [['verify', '--phase', '1'], ['verify']]) {
      const r = await w.cli(...args);
      expect(r.code, `${args.join(' ')}\n${out(r)}`).toBe(1);
      expect(r.stdout).toMatch(
        /✗ auth\.pool: auth\.pool applied \(expected succeeded, got interrupted \(started /,
      );
      expect(r.stdout).toContain('rerun `engify-migrate apply --phase 1`; it resumes from the journal');
      expect(r.stdout).toContain(notApplied('files.bucket'));
      expect(r.stdout).toContain(notApplied('flags.store'));
      expect(r.stdout).toContain('0 check(s) passed, 3 failed, 0 skipped.');
    }

    // Once the phase is finished, the same gate passes.
    const rerun = await w.cli('apply', '--phase', '1', '--yes');
    expect(rerun.code, out(rerun)).toBe(0);
    const verify = await w.cli('verify', '--phase', '1');
    expect(verify.code, out(verify)).toBe(0);
    expect(verify.stdout).toMatch(/\d+ check\(s\) passed, 0 failed/);
    expect((await w.cli('rollback', '--yes')).code).toBe(0);
  });
});
