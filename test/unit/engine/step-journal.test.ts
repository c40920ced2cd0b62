import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Step } from '../../../src/core/step.js';
import { topoSort } from '../../../src/engine/select-steps.js';
import { stepJournal } from '../../../src/engine/step-journal.js';
import { foldSteps } from '../../../src/engine/step-state.js';
import { Journal } from '../../../src/state/journal.js';

describe('step journal view', () => {
  it('tracks created resources, intents never confirmed, checkpoints and rollbacks', () => {
    const j = new Journal(join(mkdtempSync(join(tmpdir(), 'engify-sj-')), 'j.jsonl'), 'r');
    const s = stepJournal(j, 'x.step');
    s.intent({ kind: 'pool', name: 'a' });
    s.created({ kind: 'pool', name: 'a', id: '1' });
    s.intent({ kind: 'client', name: 'b' });
    expect(s.createdResources()).toEqual([{ kind: 'pool', name: 'a', id: '1' }]);
    expect(s.pendingIntents()).toEqual([{ kind: 'client', name: 'b' }]);
    s.checkpoint('t', 5, 5);
    s.checkpoint('t', 9, 4, true);
    expect(s.lastCheckpoint('t')).toEqual({ cursor: 9, count: 9, done: true });
    s.output('poolId', '1');
    expect(stepJournal(j, 'other').outputOf('x.step', 'poolId')).toBe('1');
    s.undone({ resource: { kind: 'pool', name: 'a', id: '1' } });
    expect(s.createdResources()).toEqual([]);
    j.append({ type: 'rolledback', stepId: 'x.step' });
    expect(s.lastCheckpoint('t')).toBeUndefined();
    expect(s.pendingIntents()).toEqual([]);
    expect(stepJournal(j, 'other').outputOf('x.step', 'poolId')).toBeUndefined();
    expect(foldSteps(j.all()).get('x.step')?.state).toBe('rolled-back');
  });

  it('orders steps by dependency and rejects cycles', () => {
    const step = (id: string, dependsOn: string[]) => ({ id, dependsOn }) as unknown as Step;
    expect(topoSort([step('c', ['b']), step('b', ['a']), step('a', [])]).map((s) => s.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(() => topoSort([step('a', ['b']), step('b', ['a'])])).toThrow(/cycle/);
  });
});
