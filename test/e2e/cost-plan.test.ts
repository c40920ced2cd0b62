import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { withDatabase } from '../helpers/db-cli-fixture.js';
import { query } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { largeCatalog } from '../helpers/large-catalog.js';

// The cost estimate of `plan`, through the built CLI, on a generated large catalog: a table of 100M
// rows and 30 GiB by hand-set statistics (pg_class.reltuples and relpages, as ANALYZE would leave
// them), 1M real Supabase Auth users of whom every 4th signed in within 30 days, and a Qdrant
// collection of 10M 1,536-dimension points that the stand-in makes as they are read. The figures are
// checked against a computation by hand below, from the us-east-1 price file.

const USERS = 1_000_000;
const POINTS = 10_000_000;
const DIMS = 1536;
const ROWS = 100_000_000;
const PAGES = 3_932_160; // 30 GiB of 8 KiB pages
const GIB = 1024 ** 3;

let qdrant: QdrantStandIn;
let sourceUrl: string;

beforeAll(async () => {
  ({ qdrant, sourceUrl } = await largeCatalog({
    name: 'cost',
    users: USERS,
    points: POINTS,
    dims: DIMS,
    rows: ROWS,
    pages: PAGES,
    lastSignIn: "CASE WHEN g % 4 = 0 THEN now() - interval '2 days' ELSE now() - interval '45 days' END",
  }));
}, 120_000);

afterAll(async () => {
  await qdrant?.stop();
});

describe('plan: cost and free tier on a large catalog', () => {
  it('estimates every target service and flags each free-tier limit passed, as computed by hand', async () => {
    const ws = e2eWorkspace((c) => {
      c.source.supabase = { dbUrl: sourceUrl, schemas: ['public'] };
      c.source.qdrant = { url: qdrant.url, collections: ['docs'] };
      c.target.rds = {
        mode: 'pg',
        url: withDatabase(sourceUrl, `${c.project.replace(/-/g, '_')}_t`),
        createDatabase: true,
      };
      c.target.dynamodb = { vectorTable: `${c.project}-vectors` };
      c.auth = { batchSize: 10_000 };
    });
    const res = await runCli(['--config', ws.configPath, '--json', 'plan', '--phase', '2'], {
      cwd: ws.dir,
      env: ws.env,
    });
    expect(res.code, res.stderr + res.stdout.slice(-2000)).toBe(0);
    const events = res.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const plan = events.find((e) => e.type === 'plan')?.plan as {
      steps: { id: string; changes: { details?: Record<string, unknown> }[] }[];
      reports: { id: string; data: Estimate; lines: string[] }[];
    };
    const cost = plan.reports.find((r) => r.id === 'cost')!;
    const e = cost.data;
    const prices = JSON.parse(readFileSync(join(ROOT, 'prices', 'us-east-1.json'), 'utf8')) as PriceFile;
    const price = (k: string) => prices.prices[k]!.value as number;

    // --- RDS: 730 instance-hours of db.t4g.micro; storage = the measured tables + indexes, in whole GB.
    //   The copied schema is public: events, 30 GiB by its hand-set relpages (its files hold 0 bytes),
    //   plus its primary key index as the source has it (one empty page). auth.users joins the copy
    //   only once the target has its auth shim (db.schema), which a plan before phase 1 has not.
    const [index] = await query<{ bytes: string }>(
      sourceUrl,
      `SELECT pg_indexes_size('public.events'::regclass)::text AS bytes`,
    );
    const dbBytes = PAGES * 8192 + Number(index!.bytes);
    const rdsGb = Math.ceil(dbBytes / GIB);
    const rds = service(e, 'rds');
    expect(rds.lines[0]!.monthlyUsd).toBeCloseTo(730 * 0.016, 6);
    expect(rds.lines[1]!.quantity).toBe(rdsGb);
    expect(rds.lines[1]!.monthlyUsd).toBeCloseTo(rdsGb * price('rds.storageGbMonth'), 6);
    expect(flag(rds, 'rds.instanceHours').passed).toBe(false); // 730 of 750 hours, an eligible class
    expect(flag(rds, 'rds.storageGb').passed).toBe(true); // 31 GB over 20

    // --- DynamoDB: each item as the codec writes it, sized by DynamoDB's rules (by hand):
    //   pk 'pk'+'docs' = 6; sk 'sk'+id; collection 10+4 = 14; point_id 8+id; payload 7 + (3 + 6+1+2) = 19;
    //   content_hash 12+22 = 34; migrated_by 11+21 = 32; the vector: name + 3 + 1536 x (1 + 5) = name + 9219
    //   (each number 8 significant digits: ceil(8/2) + 1 = 5 bytes, + 1 as a list element);
    //   every id has 10 digits, so sk and point_id add 2 x 10.
    const details = plan.steps.find((s) => s.id === 'vectors.copy')!.changes[0]!.details!;
    const name = String(details.vectorAttribute).length;
    const item = 6 + 2 + 14 + 8 + 19 + 34 + 32 + name + 3 + DIMS * 6 + 2 * 10;
    expect(item).toBe(9354 + name);
    const storageGb = (POINTS * (item + 100)) / GIB;
    const dynamo = service(e, 'dynamodb');
    expect(dynamo.lines[0]!.quantity).toBeCloseTo(storageGb, 2);
    expect(dynamo.lines[0]!.monthlyUsd).toBeCloseTo((storageGb - 25) * price('dynamodb.storageGbMonth'), 4);
    const units = POINTS * Math.ceil(item / 1024); // 10 write units an item
    expect(dynamo.lines[1]!.quantity).toBe(units);
    expect(dynamo.lines[1]!.oneOffUsd).toBeCloseTo(
      (units / 1e6) * price('dynamodb.writeRequestUnitsPerMillion'),
      6,
    );
    expect(flag(dynamo, 'dynamodb.storageGb').passed).toBe(true);
    // The cheaper layout: the vector as one binary of float32s (name + 4 x 1536) instead of the list.
    const binary = item - (name + 3 + DIMS * 6) + name + 4 * DIMS;
    const cheaper = e.cheaper.find((c) => c.service === 'dynamodb')!;
    expect(cheaper.monthlySavingUsd).toBeCloseTo(
      (storageGb - (POINTS * (binary + 100)) / GIB) * price('dynamodb.storageGbMonth'),
      4,
    );
    expect(cheaper.oneOffSavingUsd).toBeCloseTo(
      ((units - POINTS * Math.ceil(binary / 1024)) / 1e6) * price('dynamodb.writeRequestUnitsPerMillion'),
      6,
    );

    // --- Cognito: 1M users, every 4th signed in within 30 days: 250,000 MAU, 10,000 free (always).
    const cognito = service(e, 'cognito');
    expect(cognito.lines[0]!.quantity).toBe(USERS / 4);
    expect(cognito.lines[0]!.monthlyUsd).toBeCloseTo(
      (USERS / 4 - 10_000) * price('cognito.mauEssentials'),
      6,
    );
    expect(cognito.lines[1]!.quantity).toBe(USERS); // one AdminCreateUser a user (passwords: reset)
    expect(flag(cognito, 'cognito.mau').passed).toBe(true);

    // --- S3: no Storage bucket in this source: nothing stored, nothing passed.
    const s3 = service(e, 's3');
    expect(s3.lines[0]!.quantity).toBe(0);
    expect(flag(s3, 's3.storageGb').passed).toBe(false);

    // Totals are the sums of the lines.
    const monthly = [rds, dynamo, cognito, s3].reduce((n, s) => n + (s.monthlyUsd ?? 0), 0);
    expect(e.monthlyUsd).toBeCloseTo(monthly, 4);

    // The plan says the date and that prices change, and warns of every limit passed.
    const text = cost.lines.join('\n');
    expect(text).toContain(`prices as checked on ${prices.checkedOn}`);
    expect(text).toContain('prices change');
    const warnings = events.filter((x) => x.type === 'warning').map((x) => String(x.message));
    for (const key of ['rds.storageGb', 'dynamodb.storageGb', 'cognito.mau'])
      expect(
        warnings.some((w) => w.includes(key)),
        key,
      ).toBe(true);
    expect(warnings.some((w) => w.includes('s3.storageGb'))).toBe(false);
  }, 180_000);
});

interface Line {
  quantity: number | null;
  monthlyUsd: number | null;
  oneOffUsd: number;
}
interface Flag {
  key: string;
  passed: boolean;
}
interface Service {
  service: string;
  lines: Line[];
  monthlyUsd: number | null;
  freeTier: Flag[];
}
interface Estimate {
  services: Service[];
  monthlyUsd: number;
  cheaper: { service: string; monthlySavingUsd: number; oneOffSavingUsd: number }[];
}
interface PriceFile {
  checkedOn: string;
  prices: Record<string, { value: unknown }>;
}

function service(e: Estimate, name: string): Service {
  const s = e.services.find((x) => x.service === name);
  expect(s, name).toBeDefined();
  return s!;
}

function flag(s: Service, key: string): Flag {
  const f = s.freeTier.find((x) => x.key === key);
  expect(f, key).toBeDefined();
  return f!;
}
