import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { findChromium, runChromium } from '../helpers/chromium.js';
import { BIN, runCli } from '../helpers/cli.js';
import { sourceDatabase, uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { query } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// `verify --report` through the built CLI after a real db migration (schema, copy, one sync pass): the
// HTML file holds the summary, every check, each table's range map and the two charts, fetches
// nothing, and carries none of the run's secrets. Then headless Chromium opens it: the charts lay out
// at their size, the page logs no console error, and a screenshot is taken.

const SECRET_DB = 'pw-Zq81-never-in-a-report';
const SECRET_AWS = 'aws-Xy77-never-in-a-report';

let dir: string;
let report: string;
let html: string;
let verifyStdout: string;
let configPath: string;
let cliEnv: Record<string, string>;
let targetUrl: string;

beforeAll(async () => {
  const cluster = inject('stack').postgresUrl;
  const source = sourceDatabase(cluster, 3000);
  const target = uniqueName('tgt');
  const withPassword = (url: string) => url.replace('postgres@', 'postgres:${DB_PASSWORD}@');
  const ws = e2eWorkspace((config) => {
    config.source = { supabase: { dbUrl: withPassword(source.url) } };
    config.target = {
      aws: config.target.aws,
      rds: {
        mode: 'pg',
        url: withPassword(withDatabase(cluster, target)),
        createDatabase: true,
        copy: {
          splitBytes: 64 * 1024,
          maxRangesPerTable: 8,
          slotName: `s_${target}`.slice(0, 60),
          publication: `p_${target}`,
        },
      },
    };
    config.sync = { mode: 'logical' };
    config.jobs = 2;
  });
  dir = ws.dir;
  configPath = ws.configPath;
  targetUrl = withDatabase(cluster, target);
  const env = { ...ws.env, DB_PASSWORD: SECRET_DB, TEST_AWS_SECRET: SECRET_AWS };
  cliEnv = env;
  const cli = async (...args: string[]) => {
    const r = await runCli(['--config', ws.configPath, ...args], { env });
    expect(r.code, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };
  await cli('apply', '--phase', '1', '--yes');
  await cli('apply', '--phase', '2', '--yes');
  await cli('sync', '--once');
  report = join(ws.dir, 'out', 'report.html');
  verifyStdout = (await cli('verify', '--report', report)).stdout;
  html = readFileSync(report, 'utf8');
}, 120_000);

describe('verify --report', () => {
  it('writes one self-contained file, here and beside the journal', () => {
    expect(verifyStdout).toContain(`Report: ${report}`);
    expect(readFileSync(join(dir, '.engify', 'verify-report.html'), 'utf8')).toBe(html);
    // Nothing to fetch: no script, stylesheet, image, frame or font from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=|\bhref=|https?:\/\//i);
    // Piped output still lists every check (CI logs grep them).
    expect(verifyStdout).toContain('✓ db.copy: db.copy parity public.wide');
  });

  it('has the per-component summary, every check with expected and actual, and the range maps', () => {
    expect(html).toMatch(
      /<table id="summary">.*<td>db<\/td><td class="num">\d+<\/td><td class="num">0<\/td>/s,
    );
    for (const name of ['db.copy parity public.wide', 'db.copy parity public.wide_items', 'schema diff']) {
      expect(html).toContain(name);
    }
    const checkRows = html.match(/<tr class="(passed|failed|skipped)">/g) ?? [];
    const announced = /(\d+) check\(s\) passed, (\d+) failed, (\d+) skipped/.exec(verifyStdout);
    expect(checkRows.length).toBe(Number(announced?.[1]) + Number(announced?.[2]) + Number(announced?.[3]));
    // public.wide_items was split into several ranges, each a green square with its bounds and hashes.
    const ranges = Number(
      /db\.copy parity public\.wide_items <span class="muted">\((\d+) range/.exec(html)?.[1],
    );
    expect(ranges).toBeGreaterThan(1);
    expect(html).toMatch(/class="cell ok" title="range 1[^"]*row\(s\), hash [0-9a-f-]+ on both sides"/);
    expect(html).not.toContain('class="cell bad"');
  });

  it('charts copy throughput (rows/s and MiB/s from the journal) and sync lag (from the history)', () => {
    for (const id of ['throughput-rows-db.copy', 'throughput-mib-db.copy', 'sync-lag'])
      expect(html).toMatch(
        new RegExp(`<svg class="chart" data-chart="${id.replace('.', '\\.')}" width="640" height="260"`),
      );
    const series = html.match(/<polyline points="([^"]+)"/g) ?? [];
    expect(series.length).toBeGreaterThanOrEqual(3);
    const journal = readFileSync(join(dir, '.engify', 'journal.jsonl'), 'utf8');
    expect(journal).toMatch(/"type":"checkpoint","stepId":"db\.copy"[^\n]*"bytes":\d+/);
    expect(existsSync(join(dir, '.engify', 'sync-history.json'))).toBe(true);
  });

  it('carries none of the secrets the config reads through ${VAR}', () => {
    expect(html).not.toContain(SECRET_DB);
    expect(html).not.toContain(SECRET_AWS);
    expect(verifyStdout).not.toContain(SECRET_DB);
  });
});

describe('the report in headless Chromium', () => {
  const chromium = findChromium();
  if (!chromium)
    console.warn('skipped: no chromium binary (apt-get install -y chromium); .ci/run installs it');

  it.skipIf(!chromium)(
    'lays the charts out at their size, logs no console error, and screenshots',
    async () => {
      const work = mkdtempSync(join(tmpdir(), 'engify-report-browser-'));
      // The detector is real: a page that logs an error is caught by it.
      const noisy = join(work, 'noisy.html');
      writeFileSync(noisy, '<!doctype html><p>x</p><script>console.error("noisy page")</script>');
      expect(
        (await runChromium(chromium as string, noisy, { work, dumpDom: true })).consoleErrors.join('\n'),
      ).toContain('noisy page');

      // A copy of the report with a probe that writes each chart's laid-out box into the DOM; the
      // report itself has no script.
      const probed = join(work, 'probed.html');
      writeFileSync(
        probed,
        html.replace(
          '</body>',
          `<script>document.body.dataset.boxes = JSON.stringify([...document.querySelectorAll('svg.chart')].map((s) => {
           // clientWidth: the drawing area, without the 1px border the stylesheet adds.
           return { id: s.dataset.chart, w: s.clientWidth, h: s.clientHeight, lines: s.querySelectorAll('polyline').length,
                    drawn: [...s.querySelectorAll('polyline')].every((p) => p.getTotalLength() > 0) };
         }));</script></body>`,
        ),
      );
      const dom = await runChromium(chromium as string, probed, { work, dumpDom: true });
      expect(dom.consoleErrors).toEqual([]);
      const boxes = JSON.parse(
        (/data-boxes="([^"]*)"/.exec(dom.stdout)?.[1] ?? '[]').replace(/&quot;/g, '"'),
      ) as { id: string; w: number; h: number; lines: number; drawn: boolean }[];
      expect(boxes.map((b) => b.id).sort()).toEqual([
        'sync-lag',
        'throughput-mib-db.copy',
        'throughput-rows-db.copy',
      ]);
      for (const b of boxes) expect(b).toMatchObject({ w: 640, h: 260, drawn: true });

      const shot = await runChromium(chromium as string, report, {
        work,
        screenshot: join(work, 'report.png'),
      });
      expect(shot.consoleErrors).toEqual([]);
      const png = readFileSync(join(work, 'report.png'));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(1200); // IHDR width: the window size asked for
      expect(png.length).toBeGreaterThan(20_000);
    },
    90_000,
  );
});

/** The built CLI on a pseudo-terminal (util-linux `script`), as a person runs it; CI unset. */
function onTerminal(args: string[]): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...cliEnv, NO_COLOR: '1' };
  delete env.CI;
  // A pty made by `script` has no size: listr2 would wrap at column 0.
  const command = `stty cols 160 rows 50; ${[process.execPath, BIN, '--config', configPath, ...args].map((a) => `'${a}'`).join(' ')}`;
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-q', '-e', '-c', command, '/dev/null'],
      { env, timeout: 60_000 },
      (error, stdout) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          // Terminal escapes (listr2 redraws its task list) are dropped: the test reads the text.
          out: stdout
            .replace(/\r/g, '')
            .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g'), ''),
        });
      },
    );
  });
}

describe('verify on a terminal', () => {
  it('prints the summary per component and only what failed or was skipped, then the report path', async () => {
    // One range of one table made to differ on the target (triggers off, as a stray write would be).
    await query(
      targetUrl,
      `SET session_replication_role = replica; UPDATE public.wide_items SET qty = qty + 1 WHERE id = 5`,
    );
    const tty = await onTerminal(['verify']);
    expect(tty.code).toBe(1);
    expect(tty.out).toMatch(/^db: \d+ passed, 1 failed, 0 skipped$/m);
    expect(tty.out).toMatch(/^flags: \d+ passed, 0 failed, 0 skipped$/m);
    expect(tty.out).toContain('✗ db.copy: db.copy parity public.wide_items');
    expect(tty.out).not.toMatch(/✓ db\.copy: db\.copy parity/);
    expect(tty.out).toMatch(/\d+ passing check\(s\) not shown/);
    expect(tty.out).toContain(`Report: ${join(dir, '.engify', 'verify-report.html')}`);
    // The report beside the journal now shows that range red.
    expect(readFileSync(join(dir, '.engify', 'verify-report.html'), 'utf8')).toContain('class="cell bad"');

    const verbose = await onTerminal(['--verbose', 'verify']);
    expect(verbose.out).toContain('✓ db.copy: db.copy parity public.wide');

    // --json keeps every check, one event each.
    const json = await runCli(['--config', configPath, '--json', 'verify'], { env: cliEnv });
    const events = json.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string });
    const checks = events.filter((e) => e.type === 'check').length;
    const announced = /(\d+) check\(s\) passed, (\d+) failed, (\d+) skipped/.exec(json.stdout);
    expect(checks).toBe(Number(announced?.[1]) + Number(announced?.[2]) + Number(announced?.[3]));
    expect(events.some((e) => e.type === 'report')).toBe(true);
  });
});
