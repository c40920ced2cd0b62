// Line charts as plain SVG text. Hand-written rather than a charting library inlined at build time:
// the report needs two kinds of line chart, which is ~150 lines here against a 200 KB library that
// would also need JavaScript at view time (and so could fail or log errors in the browser). This keeps
// the report static: it renders with scripts off, prints, and diffs as text.

export interface ChartSeries {
  name: string;
  colour: string;
  points: [number, number][];
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  width?: number;
  height?: number;
}

export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 260;
const PAD = { left: 64, right: 16, top: 28, bottom: 44 };

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 1, 2 or 5 times a power of ten: tick steps a reader can add up. */
export function niceStep(span: number, ticks = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

const fmtTick = (v: number) => {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(a < 1 && a > 0 ? 3 : 1)}`;
};

export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? CHART_WIDTH;
  const height = spec.height ?? CHART_HEIGHT;
  const all = spec.series.flatMap((s) => s.points);
  const maxX = Math.max(1e-9, ...all.map(([x]) => x));
  const maxY0 = Math.max(0, ...all.map(([, y]) => y));
  const yStep = niceStep(maxY0 || 1);
  const maxY = Math.max(yStep, Math.ceil(maxY0 / yStep) * yStep);
  const xStep = niceStep(maxX);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + (x / maxX) * plotW;
  const sy = (y: number) => PAD.top + plotH - (y / maxY) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" data-chart="${esc(spec.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title)}">`,
    `<title>${esc(spec.title)}</title>`,
    `<text x="${PAD.left}" y="18" class="chart-title">${esc(spec.title)}</text>`,
  );
  for (let y = 0; y <= maxY + 1e-9; y += yStep) {
    parts.push(
      `<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" class="grid"/>`,
      `<text x="${PAD.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmtTick(y)}</text>`,
    );
  }
  for (let x = 0; x <= maxX + 1e-9; x += xStep) {
    parts.push(
      `<text x="${sx(x).toFixed(1)}" y="${height - PAD.bottom + 16}" text-anchor="middle" class="tick">${fmtTick(x)}</text>`,
    );
  }
  parts.push(
    `<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}" class="axis"/>`,
    `<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" class="axis"/>`,
    `<text x="${PAD.left + plotW / 2}" y="${height - 6}" text-anchor="middle" class="label">${esc(spec.xLabel)}</text>`,
    `<text transform="translate(14 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    const pts = s.points.length === 1 ? `${PAD.left},${sy(s.points[0]?.[1] ?? 0).toFixed(1)} ${d}` : d;
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${esc(s.colour)}" stroke-width="2" class="series" data-series="${esc(s.name)}"/>`,
      `<rect x="${width - PAD.right - 150}" y="${PAD.top + 4 + i * 16}" width="10" height="10" fill="${esc(s.colour)}"/>`,
      `<text x="${width - PAD.right - 136}" y="${PAD.top + 13 + i * 16}" class="legend">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
