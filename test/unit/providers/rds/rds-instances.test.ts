import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RdsOps, rdsOps } from '../../../../src/providers/rds/rds-instances.js';
import { secretsManagerStore } from '../../../../src/providers/secrets/secret-store.js';
import { type RdsStandIn, startRdsApi } from '../../../../src/sandbox/rds-api.js';
import { type SecretsStandIn, startSecretsStore } from '../../../../src/sandbox/secrets-store.js';

// The RDS control-plane provider against the stand-in, over HTTP with the real SDK client (awsQuery):
// the parameter group, an instance on a real PostgreSQL cluster, its managed secret, deletion protection.

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
let api: RdsStandIn;
let secrets: SecretsStandIn;
let client: RDSClient;
let sm: SecretsManagerClient;
let ops: RdsOps;
beforeAll(async () => {
  secrets = await startSecretsStore();
  api = await startRdsApi({ secrets, creatingPolls: 2 });
  client = new RDSClient({ region: 'us-east-1', endpoint: api.url, credentials, maxAttempts: 1 });
  sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: secrets.url, credentials, maxAttempts: 1 });
  ops = await rdsOps(client);
});
afterAll(async () => {
  client.destroy();
  sm.destroy();
  await api.close();
  await secrets.close();
});

describe('rds provider', () => {
  it('lists engine versions by major and tells whether a class is offered', async () => {
    expect(await ops.engineVersions('17')).toEqual(['17.2', '17.4']);
    expect(await ops.engineVersions('16')).toEqual([]);
    expect(await ops.classOffered('db.t4g.micro', '17.4')).toBe(true);
    expect(await ops.classOffered('db.x2iedn.metal', '17.4')).toBe(false);
  });

  it('creates a parameter group with rds.logical_replication=1 (pending-reboot) and reads it back', async () => {
    await ops.createParameterGroup('engify-pg17', 'postgres17', 'test', { 'engify-migrate:project': 'p' });
    expect(await ops.describeParameterGroup('engify-pg17')).toEqual({
      family: 'postgres17',
      tags: { 'engify-migrate:project': 'p' },
    });
    expect(await ops.parameterValue('engify-pg17', 'rds.logical_replication')).toBe('1');
    expect(await ops.describeParameterGroup('nope')).toBeUndefined();
    const modify = api.requests.find((r) => r.body.includes('Action=ModifyDBParameterGroup'));
    expect(new URLSearchParams(modify?.body).get('Parameters.Parameter.1.ApplyMethod')).toBe(
      'pending-reboot',
    );
  });

  it('creates an instance that becomes available on a real cluster, reachable with the managed secret', async () => {
    const created = await ops.createInstance({
      identifier: 'engify-test-db',
      instanceClass: 'db.t4g.micro',
      engineVersion: '17.4',
      storageGb: 20,
      storageType: 'gp3',
      database: 'app',
      masterUsername: 'postgres',
      parameterGroup: 'engify-pg17',
      backupRetentionDays: 7,
      tags: { 'engify-migrate:project': 'p' },
    });
    expect(created.status).toBe('creating');
    expect(created.deletionProtection).toBe(true);
    const form = new URLSearchParams(
      api.requests.find((r) => r.body.includes('Action=CreateDBInstance'))?.body,
    );
    expect(form.get('ManageMasterUserPassword')).toBe('true');
    expect(form.has('MasterUserPassword')).toBe(false);
    expect(form.get('BackupRetentionPeriod')).toBe('7');
    expect(form.get('StorageType')).toBe('gp3');
    expect((await ops.describeInstance('engify-test-db'))?.status).toBe('creating');
    const ready = await ops.describeInstance('engify-test-db');
    expect(ready?.status).toBe('available');
    expect(ready?.endpoint?.address).toBe('127.0.0.1');
    expect(ready?.secretArn).toMatch(/^arn:aws:secretsmanager:/);
    const store = await secretsManagerStore(sm, 'p');
    const secret = JSON.parse((await store.get(ready?.secretArn as string)) as string) as {
      username: string;
      password: string;
    };
    expect(secret.username).toBe('postgres');
    const db = new pg.Client({
      host: ready?.endpoint?.address,
      port: ready?.endpoint?.port,
      user: secret.username,
      password: secret.password,
      database: 'app',
    });
    await db.connect();
    const wal = await db.query('SHOW wal_level');
    const version = await db.query('SHOW server_version_num');
    await db.end();
    expect(wal.rows[0].wal_level).toBe('logical');
    expect(String(version.rows[0].server_version_num).slice(0, 2)).toBe('17');
    const wrong = new pg.Client({
      host: '127.0.0.1',
      port: ready?.endpoint?.port,
      user: 'postgres',
      password: 'x',
      database: 'app',
    });
    // Password auth is on for TCP: a wrong password is refused.
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
  }, 30_000);

  it('refuses to delete a protected instance (InvalidParameterCombination), deletes with a final snapshot after', async () => {
    await expect(ops.deleteInstance('engify-test-db', 'final-1')).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(ops.deleteParameterGroup('engify-pg17')).rejects.toMatchObject({
      name: 'InvalidDBParameterGroupStateFault',
    });
    await ops.setDeletionProtection('engify-test-db', false);
    await ops.deleteInstance('engify-test-db', 'final-1');
    expect(api.snapshots).toEqual([
      { identifier: 'final-1', instance: 'engify-test-db', engineVersion: '17.4' },
    ]);
    expect(await ops.describeInstance('engify-test-db')).toBeUndefined();
    await ops.deleteParameterGroup('engify-pg17');
    expect(await ops.describeParameterGroup('engify-pg17')).toBeUndefined();
    expect(secrets.secrets.size).toBe(0);
  });
});
