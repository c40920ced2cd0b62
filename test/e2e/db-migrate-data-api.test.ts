import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RdsDataApiStandIn, startRdsDataApi } from '../../src/sandbox/rds-data-api.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import {
  databaseExists,
  journalText,
  sourceDatabase,
  tableDigests,
  uniqueName,
  withDatabase,
} from '../helpers/db-cli-fixture.js';
import { query } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// The same CLI flow as db-migrate-cli.test.ts with rds.mode "data-api": db.schema creates the database
// and its schema, db.copy loads it with batched INSERTs and verify reads it back, all through the real
// RDSDataClient talking to the Data API stand-in (documented routes and limits) over the shared cluster.

const RESOURCE = 'arn:aws:rds:us-east-1:123456789012:cluster:engify-e2e';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:engify-e2e';
let api: RdsDataApiStandIn;

beforeAll(async () => {
  api = await startRdsDataApi({
    clusters: [{ resourceArn: RESOURCE, secretArn: SECRET, url: inject('stack').postgresUrl }],
  });
});

afterAll(async () => {
  await api?.close();
});

const out = (r: CliResult) => r.stdout + r.stderr;

describe('db migration through the CLI in RDS Data API mode', () => {
  it('phase 1 and phase 2 through the Data API, verify passes, rollback drops the database', async () => {
    const cluster = inject('stack').postgresUrl;
    const source = sourceDatabase(cluster, 1500);
    const database = uniqueName('dapi');
    const ws = e2eWorkspace((config) => {
      const aws = (config.target as { aws: Record<string, unknown> }).aws;
      config.source = { supabase: { dbUrl: source.url } };
      config.target = {
        aws: { ...aws, endpoints: { rdsData: api.url } },
        rds: {
          mode: 'data-api',
          resourceArn: RESOURCE,
          secretArn: SECRET,
          database,
          createDatabase: true,
          copy: { splitBytes: 64 * 1024, maxRangesPerTable: 4, insertBatchRows: 400 },
        },
      };
      config.jobs = 2;
    });
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    const requestsBefore = api.requests.length;

    const p1 = await cli('apply', '--phase', '1', '--yes');
    expect(p1.code, out(p1)).toBe(0);
    expect(await databaseExists(cluster, database)).toBe(true);
    const p2 = await cli('apply', '--phase', '2', '--yes');
    expect(p2.code, out(p2)).toBe(0);

    const verify = await cli('verify');
    expect(verify.code, out(verify)).toBe(0);
    expect(verify.stdout).toMatch(/✓ db\.copy: db\.copy parity public\.wide\b/);
    expect(verify.stdout).toMatch(/✓ db\.copy: db\.copy parity auth\.users/);
    const targetUrl = withDatabase(cluster, database);
    expect(await tableDigests(targetUrl)).toEqual(await tableDigests(source.url));
    expect(journalText(ws.dir)).toMatch(/"key":"postLoadDone","value":true/);
    const fks = await query(
      targetUrl,
      `SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = 'auth.users'::regclass`,
    );
    expect(fks.length).toBe(3);
    // Foreign keys were attached through Data API transactions before their tables loaded.
    expect(verify.stdout).toContain(
      '✓ db.copy: db.copy foreign key public.documents.documents_bot_id_fkey (attached before the load): no orphan rows',
    );
    const pending = await query(
      targetUrl,
      `SELECT 1 FROM pg_constraint WHERE contype = 'f' AND NOT convalidated`,
    );
    expect(pending.length).toBe(0);

    // Everything on the target went through the Data API: BatchExecute for rows, transactions per range.
    const paths = api.requests.slice(requestsBefore).map((r) => r.path);
    expect(paths.filter((p) => p === '/BatchExecute').length).toBeGreaterThan(5);
    expect(paths).toContain('/BeginTransaction');
    expect(paths).toContain('/CommitTransaction');
    expect(api.openTransactions()).toBe(0);

    const rollback = await cli('rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
    expect(await databaseExists(cluster, database)).toBe(false);
  }, 120_000);
});
