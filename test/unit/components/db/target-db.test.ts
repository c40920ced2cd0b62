import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputsFrom, targetDb } from '../../../../src/components/db/target-db.js';
import type { JournalRecord } from '../../../../src/core/journal-record.js';
import { parseConfig } from '../../../../src/core/load-config.js';
import { createServices } from '../../../../src/core/services.js';
import { type SecretsStandIn, startSecretsStore } from '../../../../src/sandbox/secrets-store.js';

// The one accessor for the target database: what each configuration resolves to, and the capabilities
// callers branch on. The provisioned instance's URL comes from db.instance's outputs and the managed
// secret, read through the Secrets Manager stand-in over HTTP with the real SDK client.

let secrets: SecretsStandIn;
beforeAll(async () => {
  secrets = await startSecretsStore();
});
afterAll(() => secrets.close());

const configWith = (rds: unknown) =>
  parseConfig(
    JSON.stringify({
      project: 'p',
      source: { supabase: { dbUrl: 'postgres://u@127.0.0.1:5432/src' } },
      target: {
        aws: {
          region: 'us-east-1',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          endpoints: { secretsManager: secrets.url },
          maxAttempts: 1,
        },
        rds,
      },
    }),
    '/tmp/migrations.config.json',
    {},
  ).config;

const output = (key: string, value: unknown): JournalRecord =>
  ({
    type: 'output',
    stepId: 'db.instance',
    key,
    value,
    seq: 0,
    at: '',
    runId: '',
  }) as unknown as JournalRecord;

describe('targetDb', () => {
  it('a URL: a direct target that copies, replicates and has sessions', async () => {
    const config = configWith({ mode: 'pg', url: 'postgres://me:pw@db.example.com:6543/app' });
    const t = await targetDb({
      config,
      services: createServices(config.target.aws),
      journal: outputsFrom([]),
    });
    expect(t.capabilities).toEqual({ copy: true, logicalReplication: true, sessionSql: true });
    expect([t.database, t.host, t.field]).toEqual(['app', 'db.example.com:6543', 'target.rds.url']);
    expect(t.app).toEqual({ kind: 'url', url: 'postgres://me:pw@db.example.com:6543/app' });
  });

  it('the Data API: no COPY, no replication, no session of its own', async () => {
    const config = configWith({
      mode: 'data-api',
      resourceArn: 'arn:aws:rds:us-east-1:1:cluster:c',
      secretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:s',
      database: 'app',
    });
    const t = await targetDb({
      config,
      services: createServices(config.target.aws),
      journal: outputsFrom([]),
    });
    expect(t.capabilities).toEqual({ copy: false, logicalReplication: false, sessionSql: false });
    expect(t.url).toBeUndefined();
    await expect(t.connect()).rejects.toMatchObject({ code: 'DB_TARGET_NO_SESSION' });
  });

  it('a provisioned instance: endpoint from the journal, password from the managed secret, redacted', async () => {
    const config = configWith({ mode: 'pg', instance: { identifier: 'db1', database: 'shop' } });
    const services = createServices(config.target.aws);
    await expect(targetDb({ config, services, journal: outputsFrom([]) })).rejects.toMatchObject({
      code: 'DB_INSTANCE_NOT_READY',
    });
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-abc';
    secrets.secrets.set('rds!db-1', {
      arn,
      name: 'rds!db-1',
      value: JSON.stringify({ username: 'postgres', password: 'p@ss/word' }),
      versionId: 'v',
      tags: [],
      created: 0,
    });
    const added: string[] = [];
    const journal = outputsFrom([
      output('endpoint', { address: 'db1.x.rds.amazonaws.com', port: 5432 }),
      output('secretArn', arn),
    ]);
    const t = await targetDb({ config, services, journal, redactor: { add: (s) => added.push(s) } });
    expect(t.url).toBe('postgres://postgres:p%40ss%2Fword@db1.x.rds.amazonaws.com:5432/shop');
    expect([t.field, t.host, t.database]).toEqual([
      'target.rds.instance',
      'db1.x.rds.amazonaws.com:5432',
      'shop',
    ]);
    expect(added).toEqual(['p@ss/word']);
    // Read once per session, however many executors ask.
    const reads = () =>
      secrets.requests.filter((r) => r.headers['x-amz-target'] === 'secretsmanager.GetSecretValue');
    const before = reads().length;
    await targetDb({ config, services, journal });
    expect(reads().length).toBe(before);
    await services.close();
  });
});
