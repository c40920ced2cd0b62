import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RdsStandIn, startRdsApi } from '../../src/sandbox/rds-api.js';
import { type SecretsStandIn, startSecretsStore } from '../../src/sandbox/secrets-store.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { journalText, sourceDatabase, tableDigests } from '../helpers/db-cli-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// db.instance through the BUILT CLI: target.rds.instance instead of a URL. The RDS stand-in starts a
// real PostgreSQL cluster of the source's major for the instance; db.schema and db.copy migrate into it
// through the endpoint and the managed secret; a kill -9 during the wait for "available" then a rerun
// ends in the same state; rollback refuses without --yes, and with it deletes (final snapshot).

let rds: RdsStandIn;
let secrets: SecretsStandIn;
beforeAll(async () => {
  secrets = await startSecretsStore();
  rds = await startRdsApi({ secrets, creatingPolls: 6, offeredClasses: ['db.t4g.micro', 'db.t3.micro'] });
});
afterAll(async () => {
  await rds.close();
  await secrets.close();
});

const out = (r: CliResult) => r.stdout + r.stderr;
let n = 0;

function workspace(instance: Record<string, unknown> = {}) {
  const source = sourceDatabase(inject('stack').postgresUrl, 300);
  const identifier = `engify-e2e-${process.pid}-${n++}`;
  const ws = e2eWorkspace((config) => {
    config.source = { supabase: { dbUrl: source.url } };
    config.target = {
      aws: {
        ...config.target.aws,
        endpoints: { rds: rds.url, secretsManager: secrets.url },
      },
      rds: { mode: 'pg', instance: { identifier, pollIntervalMs: 100, ...instance } },
    };
    config.jobs = 2;
  });
  const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
  return { ...ws, source, identifier, cli };
}

/** The instance's URL as a user would build it: the endpoint and the managed secret's password. */
function instanceUrl(identifier: string): string {
  const i = rds.instances.get(identifier);
  const secret = [...secrets.secrets.values()].find((s) => s.arn === i?.secretArn);
  const { username, password } = JSON.parse(secret?.value ?? '{}') as { username: string; password: string };
  return `postgres://${username}:${encodeURIComponent(password)}@127.0.0.1:${i?.cluster?.port}/app`;
}

describe('db.instance through the CLI', () => {
  it('plan, apply killed during the wait then rerun, migrate into it, verify, rollback needs --yes', async () => {
    const w = workspace();
    const plan = await w.cli('plan', '--phase', '1');
    expect(plan.code, out(plan)).toBe(0);
    expect(out(plan)).toContain(
      `create RDS PostgreSQL 15.12 instance ${w.identifier} (db.t4g.micro, 20 GB gp3`,
    );
    expect(out(plan)).toContain('rds.logical_replication = 1');
    expect(out(plan)).toMatch(/this machine to the instance/);
    expect(out(plan)).toMatch(/Lambda functions in the VPC/);
    // The cost estimate prices the instance's own class and storage.
    expect(out(plan)).toMatch(/rds\s+instance db\.t4g\.micro/);
    expect(out(plan)).toMatch(/rds\s+storage .*: 20 GB-month/);
    expect(rds.requests.some((r) => r.body.includes('Action=Create'))).toBe(false);

    // kill -9 while apply waits for "available" (the instance is created, no endpoint journaled yet).
    const killed = await runCli(['--config', w.configPath, 'apply', '--phase', '1', '--yes'], {
      env: w.env,
      onSpawn: (child) => {
        const watch = setInterval(() => {
          if (/"type":"created"[^\n]*"rds-instance"/.test(journalText(w.dir))) {
            child.kill('SIGKILL');
            clearInterval(watch);
          }
        }, 1);
        child.on('exit', () => clearInterval(watch));
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(journalText(w.dir)).not.toContain('"endpoint"');
    const rerun = await w.cli('apply', '--phase', '1', '--yes');
    expect(rerun.code, out(rerun)).toBe(0);
    const creates = rds.requests.filter((r) => r.body.includes('Action=CreateDBInstance'));
    expect(creates).toHaveLength(1);
    const form = new URLSearchParams(creates[0]?.body);
    expect(form.get('DBParameterGroupName')).toBe(`${w.identifier}-pg15`);
    expect(form.get('DeletionProtection')).toBe('true');
    expect(form.get('ManageMasterUserPassword')).toBe('true');
    expect(form.has('MasterUserPassword')).toBe(false);
    expect(rds.instances.get(w.identifier)?.status).toBe('available');
    expect(
      rds.parameterGroups.get(`${w.identifier}-pg15`)?.parameters['rds.logical_replication']?.value,
    ).toBe('1');

    const p2 = await w.cli('apply', '--phase', '2', '--yes');
    expect(p2.code, out(p2)).toBe(0);
    const verify = await w.cli('verify');
    expect(verify.code, out(verify)).toBe(0);
    const url = instanceUrl(w.identifier);
    expect(await tableDigests(url)).toEqual(await tableDigests(w.source.url));
    const password = decodeURIComponent(new URL(url).password);
    expect(journalText(w.dir)).not.toContain(password);
    expect(out(p2) + out(rerun) + out(verify)).not.toContain(password);

    const again = await w.cli('apply', '--phase', '1', '--yes');
    expect(again.code, out(again)).toBe(0);
    expect(rds.requests.filter((r) => r.body.includes('Action=CreateDBInstance'))).toHaveLength(1);

    // The managed secret unreadable (deleted, or no permission): a clear error naming it, nothing written.
    const arn = rds.instances.get(w.identifier)?.secretArn as string;
    const record = [...secrets.secrets.values()].find((x) => x.arn === arn);
    const value = record?.value;
    if (record) record.value = undefined;
    const unreadable = await w.cli('apply', '--phase', '1', '--yes');
    if (record) record.value = value;
    expect(unreadable.code, out(unreadable)).toBe(2);
    expect(out(unreadable)).toContain(`managed master secret ${arn} could not be read`);
    expect(out(unreadable)).toContain('secretsmanager:GetSecretValue');

    const refused = await w.cli('rollback');
    expect(refused.code, out(refused)).toBe(2);
    expect(out(refused)).toContain(w.identifier);
    expect(out(refused)).toContain('--yes');
    expect(rds.instances.has(w.identifier)).toBe(true);

    const rolled = await w.cli('rollback', '--yes');
    expect(rolled.code, out(rolled)).toBe(0);
    expect(rds.instances.has(w.identifier)).toBe(false);
    // Deletion protection (on since create) was turned off first, on this instance only.
    const modify = rds.requests.filter((r) => r.body.includes('Action=ModifyDBInstance'));
    expect(modify.map((r) => new URLSearchParams(r.body).get('DBInstanceIdentifier'))).toEqual([
      w.identifier,
    ]);
    expect(new URLSearchParams(modify[0]?.body).get('DeletionProtection')).toBe('false');
    expect(rds.parameterGroups.has(`${w.identifier}-pg15`)).toBe(false);
    expect(rds.snapshots.filter((s) => s.instance === w.identifier)).toHaveLength(1);
    expect(rds.snapshots.find((s) => s.instance === w.identifier)?.identifier).toMatch(
      new RegExp(`^${w.identifier}-final-`),
    );
  }, 120_000);

  it('refuses a class not offered and a version older than the source before creating anything', async () => {
    const before = rds.requests.filter((r) => r.body.includes('Action=Create')).length;
    const cls = workspace({ class: 'db.r8g.48xlarge' });
    const a = await cls.cli('apply', '--phase', '1', '--yes');
    expect(a.code, out(a)).toBe(2);
    expect(out(a)).toContain('db.r8g.48xlarge');
    expect(out(a)).toContain('target.rds.instance.class');
    const old = workspace({ engineVersion: '14' });
    const b = await old.cli('plan', '--phase', '1');
    expect(b.code, out(b)).toBe(2);
    expect(out(b)).toContain('older than the source database');
    expect(rds.requests.filter((r) => r.body.includes('Action=Create')).length).toBe(before);
  }, 60_000);

  it('refuses an instance of that name this tool did not create, and rollback leaves it alone', async () => {
    const w = workspace();
    const { rdsOps } = await import('../../src/providers/rds/rds-instances.js');
    const { RDSClient } = await import('@aws-sdk/client-rds');
    const client = new RDSClient({
      region: 'us-east-1',
      endpoint: rds.url,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' },
    });
    const ops = await rdsOps(client);
    await ops.createParameterGroup('someone-else-pg15', 'postgres15', 'theirs', {});
    await ops.createInstance({
      identifier: w.identifier,
      instanceClass: 'db.t3.micro',
      engineVersion: '15.12',
      storageGb: 20,
      storageType: 'gp3',
      database: 'app',
      masterUsername: 'postgres',
      parameterGroup: 'someone-else-pg15',
      backupRetentionDays: 7,
      tags: { owner: 'someone else' },
    });
    client.destroy();
    const plan = await w.cli('apply', '--phase', '1', '--yes');
    expect(plan.code, out(plan)).toBe(2);
    expect(out(plan)).toContain(
      `An RDS instance ${w.identifier} already exists and was not created by this tool`,
    );
    const rolled = await w.cli('rollback', '--yes');
    expect(rolled.code, out(rolled)).toBe(0);
    expect(rds.instances.get(w.identifier)?.deletionProtection).toBe(true);
    expect(
      rds.requests.some((r) => r.body.includes('Action=ModifyDBInstance') && r.body.includes(w.identifier)),
    ).toBe(false);
  }, 60_000);

  it('names both fields when neither or both of url / instance are set', async () => {
    const both = e2eWorkspace((config) => {
      config.target.rds = { mode: 'pg', url: 'postgres://x@127.0.0.1/app', instance: { identifier: 'x' } };
    });
    const r = await runCli(['--config', both.configPath, 'plan'], { env: both.env });
    expect(r.code).toBe(2);
    expect(out(r)).toMatch(/exactly one of target\.rds\.url .* or target\.rds\.instance/);
  });
});
