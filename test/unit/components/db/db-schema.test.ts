import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPostLoad, dbSchemaStep, translateSource } from '../../../../src/components/db/db-schema.js';
import { targetDb } from '../../../../src/components/db/target-db.js';
import type { Check } from '../../../../src/core/step.js';
import type { EngineSession } from '../../../../src/engine/session.js';
import { type PostgresCluster, startPostgresCluster } from '../../../../src/sandbox/postgres-cluster.js';
import { type RdsDataApiStandIn, startRdsDataApi } from '../../../../src/sandbox/rds-data-api.js';
import { openTestSession } from '../../../helpers/session.js';

const fixture = readFileSync(new URL('../../../fixtures/supabase-fixture.sql', import.meta.url), 'utf8');
const RESOURCE = 'arn:aws:rds:eu-west-1:123456789012:cluster:engify-test';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:engify-test';

let source: PostgresCluster;
let target: PostgresCluster;
let dataApi: RdsDataApiStandIn;
const sessions: EngineSession[] = [];

const query = async (url: string, sql: string) => {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
};

const pgConfig = (database: string, extra: Record<string, unknown> = {}) => ({
  project: 'dbschema',
  source: { supabase: { dbUrl: source.url() } },
  target: { aws: { region: 'eu-west-1' }, rds: { mode: 'pg', url: target.url(database), ...extra } },
});

const session = (config: Record<string, unknown>, force = false) => {
  const s = openTestSession(config, { force });
  sessions.push(s);
  return s;
};

const failed = (checks: Check[]) => checks.filter((c) => !c.ok && !c.skipped);

beforeAll(async () => {
  [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
  await query(source.url(), fixture);
  dataApi = await startRdsDataApi({
    clusters: [{ resourceArn: RESOURCE, secretArn: SECRET, url: target.url() }],
  });
}, 60_000);

afterAll(async () => {
  for (const s of sessions) await s.close();
  await dataApi?.close();
  await Promise.all([source?.stop(), target?.stop()]);
});

describe('db.schema in pg mode', () => {
  it('plans, creates the database and schema, reruns as a noop, verifies, and rolls back', async () => {
    const s = session(pgConfig('app_one', { createDatabase: true }));
    const ctx = s.context(dbSchemaStep);
    const changes = await dbSchemaStep.plan(ctx);
    expect(changes.map((c) => `${c.action} ${c.resource}`)).toEqual([
      'create database app_one',
      'create schema of app_one',
    ]);
    expect(changes[1]?.warnings?.join('\n')).toMatch(/public\.bucket_count\(\).*storage\.buckets/);
    expect(JSON.stringify(changes[1]?.details)).toContain('foreign key public.bots.bots_owner_id_fkey');
    for (const change of changes) await dbSchemaStep.apply(ctx, change);

    const again = await dbSchemaStep.plan(ctx);
    expect(again.map((c) => c.action)).toEqual(['noop', 'noop']);
    for (const change of again) await dbSchemaStep.apply(ctx, change);

    let checks = await dbSchemaStep.verify(ctx);
    expect(failed(checks)).toEqual([]);
    expect(checks.find((c) => c.skipped)?.name).toMatch(/post-load/);

    // db.copy's part: post-load DDL, then its output tells verify to check those objects too.
    const t = await translateSource(ctx);
    const executors = await Promise.all([0, 1].map(async () => (await targetDb(ctx)).executor()));
    const outcome = await applyPostLoad(executors, t);
    expect(outcome.ran).toHaveLength(t.postLoad.length);
    await Promise.all(executors.map((e) => e.close()));
    s.context({ id: 'db.copy' }).journal.output('postLoadDone', true);
    checks = await dbSchemaStep.verify(ctx);
    expect(failed(checks)).toEqual([]);
    expect(checks.some((c) => c.skipped)).toBe(false);

    // A change made by hand shows up in the diff.
    await query(target.url('app_one'), 'DROP INDEX public.bots_tags_gin');
    checks = await dbSchemaStep.verify(ctx);
    expect(failed(checks).flatMap((c) => c.actual)).toContain('index public.bots_tags_gin: missing');

    await dbSchemaStep.rollback?.(ctx);
    expect(await query(target.url(), `SELECT datname FROM pg_database WHERE datname = 'app_one'`)).toEqual(
      [],
    );
    expect(
      await query(
        target.url(),
        `SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')`,
      ),
    ).toEqual([]);
    expect(failed((await dbSchemaStep.verifyRollback?.(ctx)) ?? [])).toEqual([]);
  });

  it('refuses a missing database unless createDatabase, and non-empty colliding tables unless --force, writing nothing', async () => {
    await expect(dbSchemaStep.plan(session(pgConfig('absent')).context(dbSchemaStep))).rejects.toMatchObject({
      code: 'DB_TARGET_DATABASE_MISSING',
    });

    await query(target.url(), 'CREATE DATABASE busy');
    await query(
      target.url('busy'),
      `CREATE TABLE public.events (occurred_at timestamptz NOT NULL DEFAULT now(), kind text, payload jsonb); INSERT INTO public.events (kind) VALUES ('old')`,
    );
    const ctx = session(pgConfig('busy')).context(dbSchemaStep);
    await expect(dbSchemaStep.plan(ctx)).rejects.toMatchObject({
      code: 'DB_TABLE_COLLISION',
      message: expect.stringContaining('public.events'),
    });
    const change = {
      action: 'create' as const,
      resource: 'schema of busy',
      subject: 'schema' as const,
      summary: '',
      details: { kind: 'after-instance' as const },
    };
    await expect(dbSchemaStep.apply(ctx, change)).rejects.toMatchObject({ code: 'DB_TABLE_COLLISION' });
    expect(
      await query(
        target.url('busy'),
        `SELECT nspname FROM pg_namespace WHERE nspname IN ('auth', 'extensions')`,
      ),
    ).toEqual([]);
    expect(ctx.journal.createdResources()).toEqual([]);

    const forced = session(pgConfig('busy'), true).context(dbSchemaStep);
    const changes = await dbSchemaStep.plan(forced);
    expect(changes[1]?.warnings?.join('\n')).toMatch(/--force.*public\.events/);
    await dbSchemaStep.apply(forced, changes[1] as never);
    // The user's table is not ours: rollback keeps it (and its row).
    expect(forced.journal.createdResources().map((r) => r.name)).not.toContain('"public"."events"');
    await dbSchemaStep.rollback?.(forced);
    expect(await query(target.url('busy'), 'SELECT kind FROM public.events')).toEqual([{ kind: 'old' }]);
    expect(await query(target.url('busy'), `SELECT to_regclass('public.bots') AS t`)).toEqual([{ t: null }]);
  });

  it('names an unreachable target', async () => {
    const ctx = session({
      ...pgConfig('x'),
      target: { aws: { region: 'eu-west-1' }, rds: { mode: 'pg', url: 'postgres://postgres@127.0.0.1:1/x' } },
    }).context(dbSchemaStep);
    await expect(dbSchemaStep.plan(ctx)).rejects.toMatchObject({
      code: 'DB_TARGET_UNREACHABLE',
      message: expect.stringContaining('127.0.0.1:1'),
    });
  });
});

describe('db.schema through the RDS Data API stand-in', () => {
  it('applies the same schema with the real RDSDataClient and verifies an empty diff', async () => {
    const config = {
      project: 'dbschema',
      source: { supabase: { dbUrl: source.url() } },
      target: {
        aws: {
          region: 'eu-west-1',
          endpoints: { rdsData: dataApi.url },
          credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        },
        rds: {
          mode: 'data-api',
          resourceArn: RESOURCE,
          secretArn: SECRET,
          database: 'via_api',
          createDatabase: true,
        },
      },
    };
    const ctx = session(config).context(dbSchemaStep);
    const changes = await dbSchemaStep.plan(ctx);
    expect(changes.map((c) => c.action)).toEqual(['create', 'create']);
    for (const change of changes) await dbSchemaStep.apply(ctx, change);
    expect((await dbSchemaStep.plan(ctx)).map((c) => c.action)).toEqual(['noop', 'noop']);
    const t = await translateSource(ctx);
    const executor = await (await targetDb(ctx)).executor();
    await applyPostLoad(executor, t);
    session(config).context({ id: 'db.copy' }).journal.output('postLoadDone', true);
    const checks = await dbSchemaStep.verify(ctx);
    expect(failed(checks)).toEqual([]);
    const paths = new Set(dataApi.requests.map((r) => r.path));
    expect([...paths].sort()).toEqual(['/BeginTransaction', '/CommitTransaction', '/Execute']);
    expect(dataApi.requests.every((r) => r.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))).toBe(true);
    expect(dataApi.openTransactions()).toBe(0);
    await dbSchemaStep.rollback?.(ctx);
    expect(await query(target.url(), `SELECT datname FROM pg_database WHERE datname = 'via_api'`)).toEqual(
      [],
    );
  });
});
