import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { throughputOf } from '../../../src/engine/verify-report.js';
import type { JournalRecord } from '../../../src/state/journal.js';
import { appendSyncHistory, readSyncHistory, type SyncSample } from '../../../src/state/sync-status.js';

const sample = (i: number): SyncSample => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  component: 'db (forward)',
  lagSeconds: i / 10,
  behind: i,
  unit: 'bytes',
  changesPerSecond: 5,
});

describe('sync history', () => {
  it('keeps the newest samples only, across writers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-hist-'));
    for (let i = 0; i < 25; i++) appendSyncHistory(dir, [sample(i)], 10);
    const kept = readSyncHistory(dir);
    expect(kept.map((s) => s.behind)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });
});

describe('copy throughput from journal checkpoints', () => {
  it('credits rows and bytes to the time bucket each checkpoint was written in, for the latest run', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + s * 1000).toISOString();
    const base = { stepId: 'db.copy', cursor: null } as const;
    const journal = [
      { ...base, seq: 1, at: at(0), run: 'old', type: 'start', operation: 'apply' },
      { ...base, seq: 2, at: at(1), run: 'old', type: 'checkpoint', stream: 'r0', count: 999, done: true },
      { ...base, seq: 3, at: at(100), run: 'new', type: 'start', operation: 'apply' },
      {
        ...base,
        seq: 4,
        at: at(101),
        run: 'new',
        type: 'checkpoint',
        stream: 'r0',
        count: 100,
        bytes: 1048576,
      },
      {
        ...base,
        seq: 5,
        at: at(103),
        run: 'new',
        type: 'checkpoint',
        stream: 'r1',
        count: 300,
        bytes: 3145728,
      },
      { ...base, seq: 6, at: at(103), run: 'new', type: 'checkpoint', stream: 't', count: 0, done: true },
    ] as JournalRecord[];
    const [series] = throughputOf(journal);
    expect(series).toMatchObject({ step: 'db.copy', rows: 400, bytes: 4194304, seconds: 3 });
    // 3 s over at most 60 buckets, but no bucket narrower than 0.25 s.
    const width = 0.25;
    const total = (series?.points ?? []).reduce((n, p) => n + p.rowsPerSecond, 0) * width;
    expect(total).toBeCloseTo(400);
    expect(Math.max(...(series?.points ?? []).map((p) => p.mibPerSecond ?? 0))).toBeCloseTo(3 / width);
  });
});
