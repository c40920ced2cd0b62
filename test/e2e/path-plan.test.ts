import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { withDatabase } from '../helpers/db-cli-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { largeCatalog } from '../helpers/large-catalog.js';

// The copy-path choice of `plan`, through the built CLI, on a generated large catalog (the cost test's
// fixture, scaled to the size where DMS wins): a table of 100M rows and 200 GiB by hand-set statistics
// (pg_class.reltuples and relpages, so plan reads no row), 1M real Supabase Auth users, and a Qdrant
// collection of 10M 1,536-dimension points. Each path's estimate is redone by hand below from the
// bundled throughput file, and the chosen paths checked.

const USERS = 1_000_000;
const POINTS = 10_000_000;
const DIMS = 1536;
const ROWS = 100_000_000;
const PAGES = 26_214_400; // 200 GiB of 8 KiB pages
const MBPS = 100;

let qdrant: QdrantStandIn;
let sourceUrl: string;

beforeAll(async () => {
  ({ qdrant, sourceUrl } = await largeCatalog({
    name: 'paths',
    users: USERS,
    points: POINTS,
    dims: DIMS,
    rows: ROWS,
    pages: PAGES,
    lastSignIn: "now() - interval '2 days'",
  }));
}, 120_000);

afterAll(async () => {
  await qdrant?.stop();
});

interface Choice {
  component: string;
  paths: { path: string; seconds: number }[];
  chosen: string;
  reason: string;
  threshold: { name: string; value: number } | null;
  notes?: string[];
}

describe('plan: copy path per component on a large catalog', () => {
  it('estimates every path, chooses DMS, bulk import and the API, as computed by hand', async () => {
    const ws = e2eWorkspace((c) => {
      c.source.supabase = { dbUrl: sourceUrl, schemas: ['public'] };
      c.source.qdrant = { url: qdrant.url, collections: ['docs'] };
      c.target.rds = {
        mode: 'pg',
        url: withDatabase(sourceUrl, `${c.project.replace(/-/g, '_')}_t`),
        createDatabase: true,
      };
      c.target.dms = { secretsAccessRoleArn: 'arn:aws:iam::123456789012:role/dms-secrets' };
      c.target.dynamodb = { vectorTable: `${c.project}-vectors` };
      c.auth = { batchSize: 10_000 };
      c.network = { mbps: MBPS };
    });
    const started = Date.now();
    const res = await runCli(['--config', ws.configPath, '--json', 'plan', '--phase', '2'], {
      cwd: ws.dir,
      env: ws.env,
    });
    const planSeconds = (Date.now() - started) / 1000;
    expect(res.code, res.stderr + res.stdout.slice(-2000)).toBe(0);
    const plan = res.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.type === 'plan')?.plan as {
      steps: {
        id: string;
        changes: { details?: Record<string, unknown>; measures?: Record<string, unknown>[] }[];
      }[];
      reports: { id: string; data: Choice; lines: string[] }[];
    };
    const report = (id: string) => plan.reports.find((r) => r.id === id)!;
    const t = JSON.parse(readFileSync(join(ROOT, 'throughput', 'paths.json'), 'utf8')) as {
      figures: Record<string, { value: number }>;
    };
    const f = (k: string) => t.figures[k]!.value;
    const seconds = (c: Choice, p: string) => c.paths.find((x) => x.path === p)!.seconds;
    const link = (MBPS * 1e6) / 8; // 12.5 MB/s

    // --- Database: 200 GiB by relpages (its files are empty), never counted.
    const bytes = PAGES * 8192;
    const db = report('paths.db').data;
    expect(seconds(db, 'local')).toBeCloseTo(bytes / Math.min(link, f('db.local.machineBytesPerSecond')), 3);
    expect(seconds(db, 'local') / 3600).toBeCloseTo(4.772, 2); // 214.7 GB at 12.5 MB/s
    expect(seconds(db, 'dms')).toBeCloseTo(
      f('db.dms.startupSeconds') + bytes / f('db.dms.fullLoadBytesPerSecond'),
      3,
    );
    expect(db.chosen).toBe('dms');
    expect(db.threshold).toEqual({ name: 'target.rds.copy.dmsAboveHours', value: 4, unit: 'hours' });
    // The local cluster's role is a superuser with wal_level=logical: full load and CDC are possible.
    expect(db.notes!.join('\n')).toContain('full-load-and-cdc');
    expect(db.notes!.join('\n')).toContain('full LOB mode'); // events.body is text
    const copy = plan.steps.find((s) => s.id === 'db.copy')!.changes[0]!;
    expect(copy.details!.engine).toBe('dms');
    expect((copy.details!.dms as { tables: unknown[] }).tables).toEqual([
      { schema: 'public', name: 'events' },
    ]);
    expect(report('paths.db').lines.join('\n')).toMatch(/chosen: dms: the local copy would take ~4 h 46 min/);

    // --- Vectors: 10M items of the measured size; each costs ceil(size / 1 KB) write units.
    const vm = plan.steps.find((s) => s.id === 'vectors.copy')!.changes[0]!.measures![0]! as {
      avgItemBytes: number;
    };
    const item = vm.avgItemBytes;
    const vectors = report('paths.vectors').data;
    expect(seconds(vectors, 'batch-write')).toBeCloseTo(
      POINTS / (f('vectors.batch.writeUnitsPerSecond') / Math.ceil(item / 1024)),
      3,
    );
    const vbytes = POINTS * item;
    expect(seconds(vectors, 'bulk-import')).toBeCloseTo(
      vbytes / link + f('vectors.bulk.startupSeconds') + vbytes / f('vectors.bulk.importBytesPerSecond'),
      3,
    );
    expect(vectors.chosen).toBe('bulk-import'); // 10M over the default 5M threshold
    expect(vectors.threshold).toMatchObject({
      name: 'target.dynamodb.bulkThresholdPoints',
      value: 5_000_000,
    });

    // --- Users: 1M; passwords "reset" means the admin API at auth.ratePerSecond (40).
    const users = report('paths.users').data;
    expect(seconds(users, 'api')).toBeCloseTo(USERS / 40, 6);
    expect(seconds(users, 'import-job')).toBeCloseTo(
      10 * f('users.importJob.startupSeconds') + USERS / f('users.importJob.usersPerSecond'),
      6,
    );
    expect(users.chosen).toBe('api');
    expect(users.reason).toContain('auth.passwords is "reset"');

    // Planning 200 GiB reads statistics only: well under the time a count(*) of 100M rows would take.
    expect(planSeconds).toBeLessThan(150);
  }, 180_000);

  it('falls back to the local copy, with the reason, when DMS is not configured', async () => {
    const ws = e2eWorkspace((c) => {
      c.source.supabase = { dbUrl: sourceUrl, schemas: ['public'] };
      c.target.rds = {
        mode: 'pg',
        url: withDatabase(sourceUrl, `${c.project.replace(/-/g, '_')}_t`),
        createDatabase: true,
      };
      c.network = { mbps: MBPS };
    });
    const res = await runCli(['--config', ws.configPath, '--json', 'plan', '--phase', '2'], {
      cwd: ws.dir,
      env: ws.env,
    });
    expect(res.code, res.stderr + res.stdout.slice(-2000)).toBe(0);
    const plan = res.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.type === 'plan')?.plan as { reports: { id: string; data: Choice }[] };
    const db = plan.reports.find((r) => r.id === 'paths.db')!.data;
    expect(db.chosen).toBe('local');
    expect(db.notes!.join('\n')).toContain('target.dms is not configured');
  }, 120_000);
});
