import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// A damaged record in the middle of the journal is never skipped: every command stops with exit 2
// naming the file and the line, and a command that took the state lock gives it back.

const record = (seq: number, fields: Record<string, unknown>) =>
  JSON.stringify({ seq, at: '2026-11-21T10:00:00.000Z', run: 'run-a', ...fields });

function workspaceWithJournal(lines: string[]) {
  const ws = e2eWorkspace();
  const dir = join(ws.dir, '.engify');
  mkdirSync(dir, { recursive: true });
  const journal = join(dir, 'journal.jsonl');
  writeFileSync(journal, `${lines.join('\n')}\n`);
  return { ...ws, journal, lock: join(dir, 'lock.json') };
}

const valid = [
  record(1, { stepId: 'flags.store', type: 'start', operation: 'apply' }),
  record(2, { stepId: 'flags.store', type: 'intent', resource: { kind: 'flag-file', name: 'flags' } }),
  record(3, { stepId: 'flags.store', type: 'created', resource: { kind: 'flag-file', name: 'flags' } }),
  record(4, { stepId: 'flags.store', type: 'success', summary: 'created' }),
];

describe('a journal damaged in the middle', () => {
  it('garbage on line 5: rollback, apply and status exit 2 naming the file and line; no lock is left', async () => {
    const ws = workspaceWithJournal([
      ...valid,
      '{garbage not json',
      record(6, { stepId: 'auth.pool', type: 'start', operation: 'apply' }),
    ]);
    for (const args of [['rollback', '--yes'], ['apply', '--phase', '1', '--yes'], ['status'], ['verify']]) {
      const r = await runCli(['--config', ws.configPath, ...args], { env: ws.env });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${ws.journal} line 5`);
      expect(r.stderr).not.toContain('unexpected error');
      expect(r.stderr).toMatch(/next: .*never skips/);
      expect(existsSync(ws.lock), `${args[0]} left ${ws.lock} behind`).toBe(false);
    }
  });

  it('a record of the wrong shape is refused, naming the line and the field', async () => {
    const ws = workspaceWithJournal([
      ...valid.slice(0, 2),
      record(3, { stepId: 'flags.store', type: 'checkpoint', stream: 's', cursor: null, count: 'ten' }),
      valid[3] as string,
    ]);
    const r = await runCli(['--config', ws.configPath, 'rollback', '--yes'], { env: ws.env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${ws.journal} line 3`);
    expect(r.stderr).toContain('count');
    expect(existsSync(ws.lock)).toBe(false);
  });
});
