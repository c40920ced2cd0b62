import type { Check, Step } from '../core/step.js';
import type { JournalRecord } from '../state/journal.js';
import { readSyncHistory, type SyncSample } from '../state/sync-status.js';
import type { VerifyResult } from './verifier.js';

// What the verify report shows, gathered from what the run already has: the verify results (checks
// redacted by the verifier), the journal's checkpoints (rows, and bytes where the step counted them,
// with the time each was written) and the bounded sync history. Rendering is the ui's business.

export interface ReportStep {
  id: string;
  component: string;
  title: string;
  checks: Check[];
}

export interface ReportComponent {
  component: string;
  passed: number;
  failed: number;
  skipped: number;
}

export interface ThroughputPoint {
  /** Seconds since the step's run started. */
  t: number;
  rowsPerSecond: number;
  /** null when the step journals no byte counts. */
  mibPerSecond: number | null;
}

export interface ThroughputSeries {
  step: string;
  startedAt: string;
  seconds: number;
  rows: number;
  bytes: number;
  points: ThroughputPoint[];
}

export interface ReportData {
  project: string;
  generatedAt: string;
  components: ReportComponent[];
  steps: ReportStep[];
  throughput: ThroughputSeries[];
  syncLag: SyncSample[];
}

export function gatherReport(input: {
  project: string;
  stateDir: string;
  steps: Step[];
  results: VerifyResult[];
  journal: readonly JournalRecord[];
  now?: Date;
}): ReportData {
  const byId = new Map(input.steps.map((s) => [s.id, s]));
  const steps: ReportStep[] = input.results.map((r) => ({
    id: r.id,
    component: byId.get(r.id)?.component ?? r.id.split('.')[0] ?? r.id,
    title: byId.get(r.id)?.title ?? r.id,
    checks: r.checks,
  }));
  const components = new Map<string, ReportComponent>();
  for (const s of steps) {
    const c = components.get(s.component) ?? { component: s.component, passed: 0, failed: 0, skipped: 0 };
    for (const check of s.checks) {
      if (check.skipped) c.skipped++;
      else if (check.ok) c.passed++;
      else c.failed++;
    }
    components.set(s.component, c);
  }
  return {
    project: input.project,
    generatedAt: (input.now ?? new Date()).toISOString(),
    components: [...components.values()],
    steps,
    throughput: throughputOf(input.journal),
    syncLag: readSyncHistory(input.stateDir),
  };
}

/** At most this many points per chart: buckets widen with the run's length. */
const MAX_POINTS = 60;

/**
 * Copy throughput of each step's latest run that journaled counted checkpoints, in time buckets from
 * the run's start record: a checkpoint's rows (and bytes) are credited to the bucket it was written in.
 */
export function throughputOf(journal: readonly JournalRecord[]): ThroughputSeries[] {
  const lastRun = new Map<string, string>();
  for (const r of journal) if (r.type === 'checkpoint' && r.count > 0) lastRun.set(r.stepId, r.run);
  const out: ThroughputSeries[] = [];
  for (const [step, run] of lastRun) {
    const records = journal.filter((r) => r.stepId === step && r.run === run);
    const start = records.find((r) => r.type === 'start') ?? records[0];
    if (!start) continue;
    const t0 = Date.parse(start.at);
    const marks = records.flatMap((r) =>
      r.type === 'checkpoint' && r.count > 0
        ? [{ t: Math.max(0, (Date.parse(r.at) - t0) / 1000), rows: r.count, bytes: r.bytes }]
        : [],
    );
    if (marks.length === 0) continue;
    const seconds = Math.max(...marks.map((m) => m.t), 0.001);
    const width = Math.max(seconds / MAX_POINTS, 0.25);
    const buckets = Math.ceil(seconds / width) || 1;
    const rows = new Array<number>(buckets).fill(0);
    const bytes = new Array<number>(buckets).fill(0);
    const hasBytes = marks.some((m) => m.bytes !== undefined);
    for (const m of marks) {
      const i = Math.min(buckets - 1, Math.floor(m.t / width));
      rows[i] = (rows[i] ?? 0) + m.rows;
      bytes[i] = (bytes[i] ?? 0) + (m.bytes ?? 0);
    }
    out.push({
      step,
      startedAt: start.at,
      seconds,
      rows: marks.reduce((a, m) => a + m.rows, 0),
      bytes: marks.reduce((a, m) => a + (m.bytes ?? 0), 0),
      points: rows.map((n, i) => ({
        t: (i + 1) * width,
        rowsPerSecond: n / width,
        mibPerSecond: hasBytes ? (bytes[i] ?? 0) / width / (1024 * 1024) : null,
      })),
    });
  }
  return out;
}
