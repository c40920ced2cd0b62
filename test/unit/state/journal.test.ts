import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/config/redact.js';
import { Journal, readJournal } from '../../../src/state/journal.js';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'engify-journal-')), 'journal.jsonl');

describe('journal', () => {
  it('appends numbered records and reads them back after a restart', () => {
    const path = fresh();
    const a = new Journal(path, 'run-a');
    a.append({ type: 'start', stepId: 's', operation: 'apply' });
    a.append({ type: 'checkpoint', stepId: 's', stream: 't', cursor: { after: 10 }, count: 10 });
    a.close();
    const b = new Journal(path, 'run-b');
    b.append({ type: 'success', stepId: 's', summary: 'done' });
    expect(b.all().map((r) => [r.seq, r.run, r.type])).toEqual([
      [1, 'run-a', 'start'],
      [2, 'run-a', 'checkpoint'],
      [3, 'run-b', 'success'],
    ]);
    expect(readJournal(path)).toHaveLength(3);
  });

  it('ignores a torn last line left by kill -9 and cuts it off before the next append', () => {
    const path = fresh();
    const a = new Journal(path, 'run-a');
    a.append({ type: 'start', stepId: 's', operation: 'apply' });
    a.close();
    appendFileSync(path, '{"seq":2,"at":"2026-01-01T00:00:00Z","run":"run-a","stepId":"s","type":"check');
    expect(readJournal(path)).toHaveLength(1);
    const b = new Journal(path, 'run-b');
    b.append({ type: 'failure', stepId: 's', error: { code: 'X', kind: 'system', message: 'boom' } });
    b.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['start', 'failure']);
  });

  it('redacts secrets before they reach the disk', () => {
    const path = fresh();
    const redactor = new Redactor();
    redactor.add('hunter2-secret');
    const j = new Journal(path, 'r', redactor);
    j.append({
      type: 'failure',
      stepId: 's',
      error: { code: 'X', kind: 'system', message: 'auth failed for hunter2-secret' },
    });
    expect(readFileSync(path, 'utf8')).not.toContain('hunter2-secret');
    expect(readFileSync(path, 'utf8')).toContain('[redacted]');
  });
});
