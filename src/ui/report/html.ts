import type { Json } from '../../core/contracts.js';
import { messages } from '../../core/messages.js';
import type { Check } from '../../core/step.js';
import type { ReportData, ThroughputSeries } from '../../engine/verify-report.js';
import type { SyncSample } from '../../state/sync-status.js';
import { esc, lineChart } from './svg-chart.js';

// The verify report: one HTML file with inline CSS and inline SVG, no script and no external
// reference (nothing to fetch, so it opens the same offline, in a mail attachment or a CI artifact).

const m = messages.report;
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}.muted{color:#6b7280}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#15803d;font-weight:600}.fail{color:#b91c1c;font-weight:600}.skip{color:#a16207;font-weight:600}
code,.val{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-word}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #e5e7eb}
.chart .grid{stroke:#f1f5f9}.chart .axis{stroke:#9ca3af}.chart text{font:11px system-ui,sans-serif;fill:#374151}
.chart .chart-title{font-weight:600;font-size:12px}
.map{display:flex;flex-wrap:wrap;gap:3px;margin:4px 0 10px}.cell{width:18px;height:18px;border-radius:3px}
.cell.ok{background:#22c55e}.cell.bad{background:#ef4444}
`;

const fmt = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v, null, 1));

function markOf(c: Check): string {
  if (c.skipped) return '<span class="skip">-</span>';
  return c.ok ? '<span class="pass">✓</span>' : '<span class="fail">✗</span>';
}

function summary(data: ReportData): string {
  const h = m.columns;
  const rows = data.components.map((c) => {
    const verdict = m.verdict(c.failed, c.skipped);
    const cls = c.failed > 0 ? 'fail' : c.skipped > 0 ? 'skip' : 'pass';
    return `<tr><td>${esc(c.component)}</td><td class="num">${c.passed}</td><td class="num">${c.failed}</td><td class="num">${c.skipped}</td><td class="${cls}">${esc(verdict)}</td></tr>`;
  });
  return `<table id="summary"><tr><th>${h.component}</th><th>${h.passed}</th><th>${h.failed}</th><th>${h.skipped}</th><th>${h.verdict}</th></tr>${rows.join('')}</table>`;
}

function throughputCharts(series: ThroughputSeries[]): string {
  if (series.length === 0) return `<p class="muted">${esc(m.throughputNone)}</p>`;
  const out: string[] = [];
  for (const s of series) {
    out.push(`<p>${esc(m.throughputSeries(s.step, s.rows, s.bytes / 1024 / 1024, s.seconds))}</p>`);
    const charts = [
      lineChart({
        id: `throughput-rows-${s.step}`,
        title: m.rowsChart(s.step),
        xLabel: m.secondsAxis,
        yLabel: m.rowsAxis,
        series: [
          {
            name: 'rows/s',
            colour: COLOURS[0] as string,
            points: s.points.map((p) => [p.t, p.rowsPerSecond]),
          },
        ],
      }),
    ];
    if (s.points.some((p) => p.mibPerSecond !== null))
      charts.push(
        lineChart({
          id: `throughput-mib-${s.step}`,
          title: m.mibChart(s.step),
          xLabel: m.secondsAxis,
          yLabel: m.mibAxis,
          series: [
            {
              name: 'MiB/s',
              colour: COLOURS[2] as string,
              points: s.points.map((p) => [p.t, p.mibPerSecond ?? 0]),
            },
          ],
        }),
      );
    out.push(`<div class="charts">${charts.join('')}</div>`);
  }
  return out.join('');
}

function lagChart(samples: SyncSample[]): string {
  if (samples.length === 0) return `<p class="muted">${esc(m.syncLagNone)}</p>`;
  const t0 = Math.min(...samples.map((s) => Date.parse(s.at)));
  const components = [...new Set(samples.map((s) => s.component))];
  return `<div class="charts">${lineChart({
    id: 'sync-lag',
    title: m.lagChart,
    xLabel: m.lagTimeAxis(new Date(t0).toISOString()),
    yLabel: m.lagAxis,
    series: components.map((c, i) => ({
      name: c,
      colour: COLOURS[i % COLOURS.length] as string,
      points: samples
        .filter((s) => s.component === c)
        .map((s) => [(Date.parse(s.at) - t0) / 1000, s.lagSeconds] as [number, number]),
    })),
  })}</div>`;
}

function checkTables(data: ReportData): string {
  const h = m.checkColumns;
  return data.steps
    .map((s) => {
      const rows = s.checks.map(
        (c) =>
          `<tr class="${c.skipped ? 'skipped' : c.ok ? 'passed' : 'failed'}"><td>${markOf(c)}</td><td>${esc(c.name)}</td><td class="val">${esc(fmt(c.expected))}</td><td class="val">${esc(fmt(c.actual))}</td><td>${esc(c.ok ? '' : (c.hint ?? ''))}</td></tr>`,
      );
      return `<h3>${esc(s.id)} <span class="muted">${esc(s.title)}</span></h3><table class="checks"><tr><th>${h.mark}</th><th>${h.check}</th><th>${h.expected}</th><th>${h.actual}</th><th>${h.hint}</th></tr>${rows.join('')}</table>`;
    })
    .join('');
}

function rangeMaps(data: ReportData): string {
  const maps = data.steps.flatMap((s) =>
    s.checks
      .filter((c) => c.parts && c.parts.length > 0)
      .map((c) => {
        const cells = (c.parts ?? []).map(
          (p) => `<div class="cell ${p.ok ? 'ok' : 'bad'}" title="${esc(`${p.label}: ${p.detail}`)}"></div>`,
        );
        const bad = (c.parts ?? []).filter((p) => !p.ok);
        const list = bad.length
          ? `<ul>${bad.map((p) => `<li><code>${esc(p.label)}</code>: ${esc(p.detail)}</li>`).join('')}</ul>`
          : '';
        return `<h3>${esc(c.name)} <span class="muted">(${(c.parts ?? []).length} range(s))</span></h3><div class="map">${cells.join('')}</div>${list}`;
      }),
  );
  if (maps.length === 0) return `<p class="muted">${esc(m.rangesNone)}</p>`;
  return `<p class="muted">${esc(m.rangesLegend)}</p>${maps.join('')}`;
}

export function renderReportHtml(data: ReportData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(m.title(data.project))}</title><style>${CSS}</style></head>
<body>
<h1>${esc(m.title(data.project))}</h1>
<p class="muted">${esc(m.generated(data.generatedAt))}</p>
<h2>${esc(m.summary)}</h2>${summary(data)}
<h2>${esc(m.throughput)}</h2>${throughputCharts(data.throughput)}
<h2>${esc(m.syncLag)}</h2>${lagChart(data.syncLag)}
<h2>${esc(m.ranges)}</h2>${rangeMaps(data)}
<h2>${esc(m.checks)}</h2>${checkTables(data)}
</body></html>
`;
}
