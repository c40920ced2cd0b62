import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ComponentModule } from '../../../src/core/component.js';
import { EngifyError } from '../../../src/core/errors.js';
import type { Step } from '../../../src/core/step.js';
import { rollbackTasks } from '../../../src/engine/rollback.js';
import { openMarkStore } from '../../../src/state/mark-store.js';
import { openTestSession } from '../../helpers/session.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'engify-marks-'));
const file = (dir: string) => join(dir, 'marks', 'sync.files.jsonl');

describe('mark store', () => {
  it('keeps every write across reopen; null deletes; a torn last line is ignored and cut', () => {
    const dir = fresh();
    const a = openMarkStore(dir, 'sync.files');
    a.set('carried:a.png', { sha256: 'x', size: 1 });
    a.set('carried:b.png', { sha256: 'y', size: 2 });
    a.set('carried:a.png', null);
    a.set('forward:watermark:media', '2026-01-01T00:00:00.000Z');
    a.close();
    appendFileSync(file(dir), '["carried:c.png", {"sha2'); // kill -9 mid-write
    const b = openMarkStore(dir, 'sync.files');
    expect(b.entries()).toEqual([
      ['carried:b.png', { sha256: 'y', size: 2 }],
      ['forward:watermark:media', '2026-01-01T00:00:00.000Z'],
    ]);
    b.set('carried:d.png', { sha256: 'z', size: 3 });
    b.close();
    const lines = readFileSync(file(dir), 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.every((l) => l === '' || JSON.parse(l))).toBe(true);
    expect(openMarkStore(dir, 'sync.files').get('carried:d.png')).toEqual({ sha256: 'z', size: 3 });
  });

  it('compacts a file that holds far more lines than live keys, without losing one', () => {
    const dir = fresh();
    const s = openMarkStore(dir, 'sync.files');
    for (let i = 0; i < 1500; i++) s.set('forward:watermark:media', `t${i}`);
    s.set('carried:kept', { sha256: 'k', size: 9 });
    s.close();
    const lines = readFileSync(file(dir), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(1000);
    const again = openMarkStore(dir, 'sync.files');
    expect(again.get('forward:watermark:media')).toBe('t1499');
    expect(again.get('carried:kept')).toEqual({ sha256: 'k', size: 9 });
  });

  it('refuses a damaged line in the middle, naming the file and the line', () => {
    const dir = fresh();
    const s = openMarkStore(dir, 'sync.files');
    s.set('a', 1);
    s.close();
    writeFileSync(file(dir), '["a", 1]\n{garbage\n["b", 2]\n');
    try {
      openMarkStore(dir, 'sync.files').get('a');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EngifyError);
      expect((e as EngifyError).message).toContain(`${file(dir)} line 2`);
    }
  });
});

describe('rollback clears the sync marks that build on a step', () => {
  it('a rolled-back copy takes the marks of its passes with it (a full rollback forgets the watermarks)', async () => {
    const session = openTestSession({
      project: 'marks-test',
      source: {},
      target: { aws: { region: 'eu-west-1' } },
    });
    const step: Step = {
      id: 'files.copy',
      phase: 2,
      component: 'files',
      title: 'copy',
      dependsOn: [],
      enabled: () => true,
      plan: async () => [],
      apply: async () => undefined,
      verify: async () => [],
      rollback: async () => undefined,
    };
    const files: ComponentModule = {
      name: 'files',
      steps: [step],
      passes: {
        after: 'files.copy',
        forward: async () => ({ applied: 0, deleted: 0, unchanged: 0, refused: [] }),
        reverse: async () => ({ applied: 0, deleted: 0, unchanged: 0, refused: [] }),
      },
    };
    session.journal.append({ type: 'start', stepId: 'files.copy', operation: 'apply' });
    session.journal.append({ type: 'success', stepId: 'files.copy', summary: 'copied' });
    session.marks('sync.files').set('forward:watermark:media', '2026-01-01T00:00:00.000Z');
    session.marks('sync.vectors').set('watermark:docs', 7);
    const [task] = rollbackTasks(session, [step], [files]);
    const r = await task!.run({ log: () => undefined, progress: () => undefined });
    expect(r.outcome).toBe('succeeded');
    expect(session.marks('sync.files').entries()).toEqual([]);
    // Marks of another component's passes are not this rollback's business.
    expect(session.marks('sync.vectors').get('watermark:docs')).toBe(7);
    await session.close();
  });
});
