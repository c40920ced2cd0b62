import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lag, SyncStats } from '../core/sync-contracts.js';

// What a running `sync` last reported, for `status` in another process: rewritten atomically every
// second or so. A report whose writer is gone is shown as stopped, with its last figures.

export interface SyncReport {
  pid: number;
  updatedAt: string;
  streams: { component: string; stats: SyncStats; lag?: Lag }[];
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
