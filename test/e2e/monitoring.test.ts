import { join } from 'node:path';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudWatchStandIn, startCloudWatchApi } from '../../src/sandbox/cloudwatch-api.js';
import { type SnsStandIn, startSnsApi } from '../../src/sandbox/sns-api.js';
import { runCli } from '../helpers/cli.js';
import { type ConfigDraft, e2eWorkspace } from '../helpers/e2e-config.js';
import { readJournal, whenJournal } from '../helpers/journal-watch.js';

// Monitoring through the built CLI: phase 1 creates the sync alarms, the SNS topic + email and the
// dashboard (a rerun is a noop); `sync` publishes its figures; `status` shows the alarm states; the
// no-data alarm goes OK -> ALARM when sync stops publishing (the stand-in's clock moved on); rollback
// deletes only what the tool created (an alarm of the user's survives); kill -9 during the step, then
// a rerun, ends as a clean run. The CloudWatch and SNS stand-ins run in this process so the test
// drives their clock.

let cw: CloudWatchStandIn;
let sns: SnsStandIn;
beforeAll(async () => {
  cw = await startCloudWatchApi();
  sns = await startSnsApi();
});
afterAll(async () => {
  await cw?.close();
  await sns?.close();
});

async function q(url: string, sql: string) {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

function workspace(extra: (c: ConfigDraft) => void = () => {}) {
  return e2eWorkspace((c: ConfigDraft) => {
    c.target = {
      aws: { ...c.target.aws, endpoints: { ...c.target.aws.endpoints, cloudwatch: cw.url, sns: sns.url } },
    };
    c.monitoring = { alarmEmail: 'ops@example.com' };
    extra(c);
  });
}

const ourAlarms = (project: string) =>
  [...cw.alarms.keys()].filter((n) => n.startsWith(`engify-${project}-`)).sort();
const observe = (project: string) => ({
  alarms: ourAlarms(project).map((n) => [n, JSON.stringify(cw.alarms.get(n)?.spec)]),
  topics: [...sns.topics.values()]
    .filter((t) => t.name === `${project}-alarms`)
    .map((t) => ({ name: t.name, subs: t.subscriptions.map((s) => s.endpoint) })),
  dashboard: cw.dashboards.get(`${project}-migration`) ?? null,
});

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });

describe('monitoring through the CLI', () => {
  it('creates alarms, topic and dashboard; sync publishes; status shows states; rollback keeps the user alarm', async () => {
    const base = e2eWorkspace();
    const admin = base.stack.postgresUrl;
    const src = `msrc_${base.project.replace(/-/g, '_')}`;
    const tgt = `mtgt_${base.project.replace(/-/g, '_')}`;
    await q(admin, `CREATE DATABASE ${src}`);
    const srcUrl = admin.replace(/\/postgres$/, `/${src}`);
    const tgtUrl = admin.replace(/\/postgres$/, `/${tgt}`);
    await q(srcUrl, 'CREATE TABLE public.notes (id bigserial PRIMARY KEY, body text NOT NULL)');
    await q(srcUrl, "INSERT INTO public.notes (body) SELECT 'n ' || g FROM generate_series(1, 100) g");
    const ws = workspace((c) => {
      c.source = { supabase: { dbUrl: srcUrl, schemas: ['public'] } };
      c.target.rds = { mode: 'pg', url: tgtUrl, createDatabase: true };
      c.sync = {
        maxLagSeconds: 5,
        mode: 'logical',
        reverseSlot: `rev_${src}`.slice(0, 63),
        reversePublication: `rev_${src}`,
      };
    });
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    const ok = async (...args: string[]) => {
      const r = await cli(...args);
      expect(r.code, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r;
    };

    // An alarm of the user's own, under the same prefix: rollback must leave it.
    const userAlarm = `engify-${ws.project}-my-own-cpu`;
    const client = new CloudWatchClient({
      region: 'us-east-1',
      endpoint: cw.url,
      credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    });
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: userAlarm,
        Namespace: 'Custom',
        MetricName: 'CPU',
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 90,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    client.destroy();

    const plan = await ok('plan', '--phase', '1');
    expect(plan.stdout).toContain(`create topic ${ws.project}-alarms`);
    expect(plan.stdout).toContain(`cloudwatch alarm engify-${ws.project}-sync-lag`);
    expect(plan.stdout).toContain(`cloudwatch dashboard ${ws.project}-migration`);

    await ok('apply', '--phase', '1', '--yes');
    const applied = observe(ws.project);
    expect(applied.alarms.map(([n]) => n)).toEqual(
      [
        `engify-${ws.project}-my-own-cpu`,
        `engify-${ws.project}-sync-errors`,
        `engify-${ws.project}-sync-lag`,
        `engify-${ws.project}-sync-no-data`,
      ].sort(),
    );
    const lag = cw.alarms.get(`engify-${ws.project}-sync-lag`)?.spec;
    expect(lag).toMatchObject({
      Threshold: 5,
      EvaluationPeriods: 5,
      Period: 60,
      MetricName: 'LagSeconds',
      Namespace: 'EngifyMigrate',
    });
    expect(lag?.AlarmActions).toEqual([`arn:aws:sns:us-east-1:123456789012:${ws.project}-alarms`]);
    expect(cw.alarms.get(`engify-${ws.project}-sync-no-data`)?.spec).toMatchObject({
      TreatMissingData: 'breaching',
      EvaluationPeriods: 10,
    });
    expect(applied.topics).toEqual([{ name: `${ws.project}-alarms`, subs: ['ops@example.com'] }]);
    expect(JSON.parse(applied.dashboard ?? '{}').widgets).toHaveLength(4);

    // A rerun plans and does nothing.
    const puts = cw.calls('PutMetricAlarm').length;
    const again = await ok('apply', '--phase', '1', '--yes', '--json');
    const plan2 = events(again.stdout).find((e) => e.type === 'plan') as unknown as {
      plan: { steps: { changes: { action: string }[] }[] };
    };
    expect(plan2.plan.steps.flatMap((s) => s.changes.map((c) => c.action)).every((a) => a === 'noop')).toBe(
      true,
    );
    expect(cw.calls('PutMetricAlarm').length).toBe(puts);
    expect(observe(ws.project)).toEqual(applied);

    // Before sync ever ran: nothing published, so the no-data alarm is in ALARM.
    const before = await ok('status', '--json');
    const stateOf = (out: string, name: string) =>
      (
        events(out).find((e) => e.type === `alarm engify-${ws.project}-${name}`) as
          | { state?: string }
          | undefined
      )?.state;
    expect(stateOf(before.stdout, 'sync-no-data')).toBe('ALARM');

    // Data moves; sync publishes once for db (one call, whatever the number of reports).
    await ok('apply', '--phase', '2', '--yes');
    await q(srcUrl, "INSERT INTO public.notes (body) SELECT 'live ' || g FROM generate_series(1, 20) g");
    const callsBefore = cw.calls('PutMetricData').length;
    const synced = await ok('sync', '--once');
    expect(synced.stdout + synced.stderr).not.toContain('dropped');
    const calls = cw.calls('PutMetricData').slice(callsBefore);
    expect(calls).toHaveLength(1);
    const body = JSON.parse(calls[0]!.body) as {
      Namespace: string;
      MetricData: { MetricName: string; Dimensions: { Name: string; Value: string }[] }[];
    };
    expect(body.Namespace).toBe('EngifyMigrate');
    expect(new Set(body.MetricData.map((d) => d.MetricName))).toEqual(
      new Set(['LagSeconds', 'LagBytes', 'ChangesAppliedPerSecond', 'Errors']),
    );
    expect(body.MetricData[0]?.Dimensions).toEqual([
      { Name: 'Project', Value: ws.project },
      { Name: 'Component', Value: 'db' },
    ]);

    const after = await ok('status', '--json');
    expect(stateOf(after.stdout, 'sync-no-data')).toBe('OK');
    expect(stateOf(after.stdout, 'sync-lag')).toBe('OK');
    expect(stateOf(after.stdout, 'sync-errors')).toBe('OK');
    const observer = events(after.stdout).find((e) => e.type === 'sync observer monitoring') as
      | { calls?: number; droppedDatums?: number }
      | undefined;
    expect(observer).toMatchObject({ calls: 1, droppedDatums: 0 });
    const text = await ok('status');
    expect(text.stdout).toContain(`alarm engify-${ws.project}-sync-no-data`);

    // Sync stops publishing; 11 minutes later (the stand-in's clock) the no-data alarm fires.
    cw.advance(11 * 60_000);
    const stopped = await ok('status', '--json');
    expect(stateOf(stopped.stdout, 'sync-no-data')).toBe('ALARM');
    expect(cw.alarms.get(`engify-${ws.project}-sync-no-data`)?.history.map((h) => h.to)).toEqual([
      'ALARM',
      'OK',
      'ALARM',
    ]);

    // Throttled: the batch is dropped and counted, sync still succeeds.
    cw.throttle(10);
    const throttled = await ok('sync', '--once');
    expect(throttled.stdout + throttled.stderr).toContain('throttled');
    const counted = await ok('status', '--json');
    expect(events(counted.stdout).find((e) => e.type === 'sync observer monitoring')).toMatchObject({
      throttled: 1,
      failedCalls: 1,
    });

    await ok('rollback', '--yes');
    expect(ourAlarms(ws.project)).toEqual([userAlarm]);
    expect(observe(ws.project).topics).toEqual([]);
    expect(observe(ws.project).dashboard).toBeNull();
  }, 180_000);

  it('kill -9 during monitoring.alarms, then a rerun, ends as a clean run; rollback removes all of it', async () => {
    const clean = workspace();
    expect(
      (await runCli(['--config', clean.configPath, 'apply', '--phase', '1', '--yes'], { env: clean.env }))
        .code,
    ).toBe(0);
    const expected = observe(clean.project);
    const normalize = (o: ReturnType<typeof observe>, project: string) =>
      JSON.parse(JSON.stringify(o).replaceAll(project, 'P'));

    // Kill right after an intent (before its `created`), and right after a `created`.
    for (const point of ['intent', 'created'] as const) {
      const ws = workspace();
      const journal = join(ws.dir, '.engify', 'journal.jsonl');
      let exited: () => void = () => {};
      const exit = new Promise<void>((r) => {
        exited = r;
      });
      const killed = await runCli(['--config', ws.configPath, 'apply', '--phase', '1', '--yes'], {
        env: ws.env,
        onSpawn: (child) => {
          child.on('exit', () => exited());
          whenJournal(
            journal,
            (rs) =>
              rs.filter((r) => r.type === point && (r as { stepId?: string }).stepId === 'monitoring.alarms')
                .length >= 2,
            { abort: exit },
          ).then(
            () => child.kill('SIGKILL'),
            () => undefined,
          );
        },
      });
      expect(killed.signal, killed.stdout).toBe('SIGKILL');
      expect(readJournal(journal).some((r) => r.type === point)).toBe(true);
      let rerun = await runCli(['--config', ws.configPath, 'apply', '--phase', '1', '--yes'], {
        env: ws.env,
      });
      if (rerun.code === 3)
        rerun = await runCli(
          ['--config', ws.configPath, 'apply', '--phase', '1', '--yes', '--force-unlock'],
          { env: ws.env },
        );
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
      expect(normalize(observe(ws.project), ws.project)).toEqual(normalize(expected, clean.project));
      const rollback = await runCli(['--config', ws.configPath, 'rollback', '--yes'], { env: ws.env });
      expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
      expect(observe(ws.project)).toEqual({ alarms: [], topics: [], dashboard: null });
    }
    await runCli(['--config', clean.configPath, 'rollback', '--yes'], { env: clean.env });
    expect(observe(clean.project)).toEqual({ alarms: [], topics: [], dashboard: null });
  }, 180_000);
  it('refuses an alarm of the same name it did not create (unless --force, and then keeps it), and a reserved namespace', async () => {
    const ws = workspace();
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    const theirs = `engify-${ws.project}-sync-errors`;
    const client = new CloudWatchClient({
      region: 'us-east-1',
      endpoint: cw.url,
      credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    });
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: theirs,
        Namespace: 'Custom',
        MetricName: 'Mine',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    client.destroy();
    const plan = await cli('plan', '--phase', '1');
    expect(plan.stdout).toContain(`alarm ${theirs} exists and is not ours`);
    const refused = await cli('apply', '--phase', '1', '--yes');
    // The step fails (exit 1) naming the alarm and the way out; nothing of the user's is changed.
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    const said = refused.stdout + refused.stderr;
    expect(said).toContain(`CloudWatch alarm ${theirs} exists and was not created by engify-migrate`);
    expect(said).toContain('--force');
    expect(cw.alarms.get(theirs)?.spec.MetricName).toBe('Mine');

    const forced = await cli('apply', '--phase', '1', '--yes', '--force');
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(cw.alarms.get(theirs)?.spec.MetricName).toBe('Errors');
    // In step now: a rerun without --force has nothing to do (and no reason to refuse).
    const rerun = await cli('apply', '--phase', '1', '--yes');
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('in step, nothing to do');
    expect((await cli('rollback', '--yes')).code).toBe(0);
    // Taken over, never ours: rollback leaves it; what the tool created is gone.
    expect(ourAlarms(ws.project)).toEqual([theirs]);
    expect(observe(ws.project).dashboard).toBeNull();

    const bad = workspace((c) => {
      c.monitoring = { namespace: 'AWS/Lambda' };
    });
    const badRun = await runCli(['--config', bad.configPath, 'plan'], { env: bad.env });
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toContain('monitoring.namespace');
    expect(badRun.stderr).toContain('"AWS/" is reserved');
  }, 120_000);
});
