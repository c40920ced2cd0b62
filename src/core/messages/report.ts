// User-facing text of the verify report (HTML) and of verify's terminal summary. Re-exported through
// src/core/messages.ts as messages.report.

export const reportMessages = {
  title: (project: string) => `engify-migrate verify report: ${project}`,
  generated: (at: string) => `Generated ${at}. One self-contained file: no scripts, no network fetches.`,
  summary: 'Summary per component',
  columns: {
    component: 'component',
    passed: 'passed',
    failed: 'failed',
    skipped: 'skipped',
    verdict: 'verdict',
  },
  verdict: (failed: number, skipped: number) =>
    failed > 0 ? 'FAIL' : skipped > 0 ? 'PASS (some skipped)' : 'PASS',
  throughput: 'Copy throughput over time',
  throughputNone: 'No copy checkpoints in the journal yet (nothing copied, or the journal was reset).',
  throughputSeries: (step: string, rows: number, mib: number, seconds: number) =>
    `${step}: ${rows.toLocaleString('en')} rows${mib > 0 ? `, ${mib.toFixed(1)} MiB` : ''} in ${seconds.toFixed(1)} s`,
  rowsChart: (step: string) => `${step}: rows/s`,
  mibChart: (step: string) => `${step}: MiB/s`,
  secondsAxis: 'seconds since the run started',
  rowsAxis: 'rows/s',
  mibAxis: 'MiB/s',
  syncLag: 'Sync lag over time',
  syncLagNone:
    'No sync history yet: run `engify-migrate sync` (each report of a running sync adds a sample).',
  lagChart: 'Sync lag (seconds behind the source commit)',
  lagAxis: 'lag, s',
  lagTimeAxis: (from: string) => `seconds since ${from}`,
  checks: 'Every check',
  checkColumns: { mark: '', check: 'check', expected: 'expected', actual: 'actual', hint: 'next step' },
  ranges: 'Per-range checksum map',
  rangesNone: 'No check compared parts one by one.',
  rangesLegend:
    'Each square is one key range, compared by row count and an order-independent row hash; hover for its bounds.',
  // terminal
  hiddenPassed: (n: number) =>
    `${n} passing check(s) not shown (--verbose shows them; --json keeps every check).`,
  written: (path: string) => `Report: ${path}`,
  componentLine: (component: string, passed: number, failed: number, skipped: number) =>
    `${component}: ${passed} passed, ${failed} failed, ${skipped} skipped`,
};
