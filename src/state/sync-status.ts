import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../core/contracts.js';
import type { Lag, SyncStats } from '../core/sync-contracts.js';

// What a running `sync` last reported, for `status` in another process: rewritten atomically every
// second or so. A report whose writer is gone is shown as stopped, with its last figures.

export interface SyncReport {
  pid: number;
  updatedAt: string;
  streams: { component: string; stats: SyncStats; lag?: Lag }[];
  /** What each sync observer reported (e.g. metrics published and dropped), by component. */
  observers?: Record<string, Record<string, Json>>;
}

const fileOf = (stateDir: string) => join(stateDir, 'sync-status.json');

export function writeSyncReport(stateDir: string, report: SyncReport): void {
  const path = fileOf(stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(report));
  renameSync(tmp, path);
}

export function readSyncReport(stateDir: string): (SyncReport & { running: boolean }) | undefined {
  const path = fileOf(stateDir);
  if (!existsSync(path)) return undefined;
  try {
    const report = JSON.parse(readFileSync(path, 'utf8')) as SyncReport;
    let running = true;
    try {
      process.kill(report.pid, 0);
    } catch {
      running = false;
    }
    return { ...report, running };
  } catch {
    return undefined;
  }
}

// ----- history ------------------------------------------------------------------------------------
// The verify report charts sync lag over time, so each report's lag figures are also kept in a
// bounded history beside it: the newest MAX_SAMPLES samples (about 50 minutes of one stream at one
// report a second), rewritten atomically with each report. Older samples are dropped, oldest first.

export interface SyncSample {
  at: string;
  component: string;
  lagSeconds: number;
  /** Bytes of WAL or changelog rows behind (see Lag.unit). */
  behind: number;
  unit: 'bytes' | 'rows';
  changesPerSecond: number;
}

export const MAX_SYNC_SAMPLES = 3000;

const historyOf = (stateDir: string) => join(stateDir, 'sync-history.json');
const cache = new Map<string, SyncSample[]>();

export function readSyncHistory(stateDir: string): SyncSample[] {
  const path = historyOf(stateDir);
  if (!existsSync(path)) return [];
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as SyncSample[]) : [];
  } catch {
    return []; // a torn or foreign file: history restarts, the report says so by showing none
  }
}

export function appendSyncHistory(stateDir: string, samples: SyncSample[], max = MAX_SYNC_SAMPLES): void {
  if (samples.length === 0) return;
  const history = cache.get(stateDir) ?? readSyncHistory(stateDir);
  history.push(...samples);
  if (history.length > max) history.splice(0, history.length - max);
  cache.set(stateDir, history);
  const path = historyOf(stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(history));
  renameSync(tmp, path);
}

/** The samples one sync report yields: one per stream that reports a lag. */
export function samplesOf(report: SyncReport): SyncSample[] {
  return report.streams.flatMap((s) =>
    s.lag
      ? [
          {
            at: report.updatedAt,
            component: s.component,
            lagSeconds: s.lag.seconds,
            behind: s.lag.changes,
            unit: s.lag.unit,
            changesPerSecond: s.stats.changesPerSecond,
          },
        ]
      : [],
  );
}
