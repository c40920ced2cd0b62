import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/config/redact.js';
import { EngifyError, exitCodeFor } from '../../../src/core/errors.js';
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

  describe('a damaged record before the last line is never skipped', () => {
    const good = (seq: number) =>
      JSON.stringify({
        seq,
        at: '2026-01-01T00:00:00Z',
        run: 'r',
        stepId: 's',
        type: 'success',
        summary: 'ok',
      });
    const refusal = (path: string): EngifyError => {
      try {
        readJournal(path);
      } catch (error) {
        return error as EngifyError;
      }
      throw new Error('expected readJournal to refuse the file');
    };

    it('names the file and the line of text that is not JSON, as a config error (exit 2)', () => {
      const path = fresh();
      writeFileSync(
        path,
        `${[good(1), good(2), good(3), good(4), '{garbage not json', good(6)].join('\n')}\n`,
      );
      const e = refusal(path);
      expect(e).toBeInstanceOf(EngifyError);
      expect(e.code).toBe('JOURNAL_CORRUPT');
      expect(exitCodeFor(e)).toBe(2);
      expect(e.message).toContain(`${path} line 5`);
      expect(e.hint).toContain('never skips');
      expect(() => new Journal(path, 'r2')).toThrow(EngifyError);
    });

    it('refuses a complete last line that is not JSON: only an unterminated last line is torn', () => {
      const path = fresh();
      writeFileSync(path, `${good(1)}\n{garbage\n`);
      expect(refusal(path).message).toContain('line 2');
    });

    it.each([
      ['a count that is not a number', { type: 'checkpoint', stream: 't', cursor: 1, count: 'ten' }, 'count'],
      ['an unknown record type', { type: 'started' }, 'type'],
      ['a created record without its resource', { type: 'created' }, 'resource'],
      ['a resource without a name', { type: 'intent', resource: { kind: 'bucket' } }, 'resource.name'],
      ['no step id', { type: 'success', summary: 'ok', stepId: 7 }, 'stepId'],
    ])('refuses a record of the wrong shape: %s', (_name, fields, field) => {
      const path = fresh();
      const bad = JSON.stringify({ seq: 2, at: '2026-01-01T00:00:00Z', run: 'r', stepId: 's', ...fields });
      writeFileSync(path, `${good(1)}\n${bad}\n${good(3)}\n`);
      const e = refusal(path);
      expect(e.code).toBe('JOURNAL_CORRUPT');
      expect(e.message).toContain(`${path} line 2`);
      expect(e.message).toContain(field);
    });

    it('keeps every field of a well-formed record, including ones this version does not know', () => {
      const path = fresh();
      const rec = {
        seq: 1,
        at: 'x',
        run: 'r',
        stepId: 's',
        type: 'output',
        key: 'k',
        value: { a: [1] },
        extra: 1,
      };
      writeFileSync(path, `${JSON.stringify(rec)}\n`);
      expect(readJournal(path)).toEqual([rec]);
    });
  });
});
