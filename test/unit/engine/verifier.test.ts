import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checklist } from '../../../src/components/registry.js';
import type { Phase } from '../../../src/core/step.js';
import { foldSteps } from '../../../src/engine/step-state.js';
import { unfinishedCheck, verifySelection } from '../../../src/engine/verifier.js';
import { Journal, type JournalEntry } from '../../../src/state/journal.js';

// Which steps `verify` covers and how, from a journal: the real checklist's phases 1 and 2.

const steps = checklist.filter((s) => s.phase <= 2);
const PHASE_1 = steps.filter((s) => s.phase === 1).map((s) => s.id);
const PHASE_2 = steps.filter((s) => s.phase === 2).map((s) => s.id);

function states(entries: JournalEntry[]) {
  const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'engify-verify-')), 'journal.jsonl'), 'r');
  for (const e of entries) journal.append(e);
  journal.close();
  return foldSteps(journal.all());
}

const ran = (stepId: string): JournalEntry[] => [
  { type: 'start', stepId, operation: 'apply' },
  { type: 'success', stepId, summary: 'done' },
];
const rolledBack = (stepId: string): JournalEntry[] => [
  ...ran(stepId),
  { type: 'start', stepId, operation: 'rollback' },
  { type: 'rolledback', stepId },
];

const select = (entries: JournalEntry[], phase?: Phase) =>
  verifySelection(steps, states(entries), phase).map(({ step, mode }) => [
    step.id,
    mode.kind === 'unfinished' ? (mode.status?.state ?? 'pending') : mode.kind,
  ]);

describe('verifySelection', () => {
  it('covers phase 1 when nothing has run, every step unfinished', () => {
    expect(select([])).toEqual(PHASE_1.map((id) => [id, 'pending']));
  });

  it('leaves out a phase nobody started, unless it is asked for', () => {
    const done = PHASE_1.flatMap(ran);
    expect(select(done)).toEqual(PHASE_1.map((id) => [id, 'applied']));
    expect(select(done, 2)).toEqual(PHASE_2.map((id) => [id, 'pending']));
  });

  it('after a crash in phase 2: the cut-off step and every step that never ran are unfinished', () => {
    const entries: JournalEntry[] = [
      ...PHASE_1.flatMap(ran),
      { type: 'start', stepId: 'db.copy', operation: 'apply' },
      { type: 'checkpoint', stepId: 'db.copy', stream: 'public.t', cursor: 10, count: 10 },
    ];
    const phase2 = PHASE_2.map((id) => [id, id === 'db.copy' ? 'interrupted' : 'pending']);
    expect(PHASE_2).toContain('db.copy');
    expect(select(entries, 2)).toEqual(phase2);
    expect(select(entries)).toEqual([...PHASE_1.map((id) => [id, 'applied']), ...phase2]);
  });

  it('a failed step is unfinished too, and its check carries the error', () => {
    const entries: JournalEntry[] = [
      ...PHASE_1.flatMap(ran),
      { type: 'start', stepId: 'auth.users', operation: 'apply' },
      { type: 'failure', stepId: 'auth.users', error: { code: 'X', kind: 'system', message: 'pool gone' } },
    ];
    const selected = verifySelection(steps, states(entries), 2);
    const users = selected.find((s) => s.step.id === 'auth.users');
    expect(users?.mode).toMatchObject({ kind: 'unfinished', status: { state: 'failed' } });
    const check = unfinishedCheck(
      users!.step,
      users!.mode.kind === 'unfinished' ? users!.mode.status : undefined,
    );
    expect(check).toMatchObject({ ok: false, expected: 'succeeded', actual: 'failed: pool gone' });
    expect(check.hint).toContain('apply --phase 2');
  });

  it('a phase rolled back as a whole is checked as rolled back (steps with such checks), not as unfinished', () => {
    const entries = PHASE_1.flatMap(rolledBack);
    const withChecks = steps
      .filter((s) => s.phase === 1 && s.verifyRollback)
      .map((s) => [s.id, 'rolled-back']);
    expect(withChecks.length).toBeGreaterThan(0);
    expect(select(entries)).toEqual(withChecks);
    expect(select(entries, 1)).toEqual(withChecks);
  });

  it('a step rolled back while the rest of its phase is applied is unfinished', () => {
    const [first, ...rest] = PHASE_1 as [string, ...string[]];
    const selected = verifySelection(steps, states([...rolledBack(first), ...rest.flatMap(ran)]), undefined);
    expect(selected.map(({ step, mode }) => [step.id, mode.kind])).toEqual([
      [first, 'unfinished'],
      ...rest.map((id) => [id, 'applied']),
    ]);
    const [head] = selected;
    expect(head?.mode).toMatchObject({ status: { state: 'rolled-back' } });
  });
});
