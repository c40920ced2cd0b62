import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { journalText } from '../helpers/db-cli-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// A saved plan carries a digest of its own actions: a hand-edited file is refused with exit 4, naming
// the file, before anything is applied. Live state and config are untouched here, so only the digest
// can tell the edited file from the one `plan --out` wrote.

interface SavedPlan {
  forced: boolean;
  phases: number[];
  steps: { id: string; changes: { action: string; resource: string; summary: string }[] }[];
}

const edits: { name: string; edit: (plan: SavedPlan) => void }[] = [
  {
    name: 'a change summary rewritten',
    edit: (plan) => {
      const change = plan.steps.find((s) => s.id === 'files.bucket')?.changes[0];
      if (!change) throw new Error('no files.bucket change to edit');
      change.summary = 'create without encryption';
    },
  },
  {
    name: 'a step removed',
    edit: (plan) => {
      plan.steps = plan.steps.filter((s) => s.id !== 'auth.pool');
    },
  },
  {
    name: 'the forced flag switched on',
    edit: (plan) => {
      plan.forced = true;
    },
  },
];

describe('a hand-edited saved plan', () => {
  for (const { name, edit } of edits) {
    it(`is refused with exit 4 naming the file: ${name}`, async () => {
      const ws = e2eWorkspace();
      const planPath = join(ws.dir, 'plan.json');
      const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
      const planned = await cli('plan', '--phase', '1', '--out', planPath);
      expect(planned.code, planned.stdout + planned.stderr).toBe(0);
      const plan = JSON.parse(readFileSync(planPath, 'utf8')) as SavedPlan;
      edit(plan);
      writeFileSync(planPath, JSON.stringify(plan, null, 2));

      const r = await cli('apply', planPath, '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(4);
      expect(r.stderr).toContain(`The saved plan ${planPath} was changed after it was written`);
      expect(r.stderr).toMatch(/next: .*plan --out/);
      expect(journalText(ws.dir)).toBe('');
    }, 60_000);
  }

  it('an unedited plan, re-indented, still applies', async () => {
    const ws = e2eWorkspace();
    const planPath = join(ws.dir, 'plan.json');
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    expect((await cli('plan', '--phase', '1', '--out', planPath)).code).toBe(0);
    writeFileSync(planPath, JSON.stringify(JSON.parse(readFileSync(planPath, 'utf8'))));
    const r = await cli('apply', planPath, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await cli('rollback', '--yes');
  }, 60_000);
});
