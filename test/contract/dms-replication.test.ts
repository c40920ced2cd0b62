import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  cdcLatencySeconds,
  createEndpoint,
  createReplicationConfig,
  deleteEndpoint,
  deleteReplicationConfig,
  describeReplication,
  findReplicationConfig,
  isQuotaError,
  type ReplicationState,
  startReplication,
  stopReplication,
  tableStatistics,
} from '../../src/providers/dms/replication.js';
import { type DmsStandIn, startDmsStandIn } from '../../src/sandbox/dms-api.js';
import { type SecretsStandIn, startSecretsStore } from '../../src/sandbox/secrets-store.js';
import { uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { query, runSql } from '../helpers/db-copy-fixture.js';

// The DMS provider against the DMS stand-in over HTTP with the real SDK client (JSON 1.1 for DMS, JSON
// 1.0 for the CloudWatch latency metric), with the data really moving between two local databases.

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let secrets: SecretsStandIn;
let dms: DmsStandIn;
let client: DatabaseMigrationServiceClient;
let metrics: CloudWatchClient;
let sm: SecretsManagerClient;
let sourceUrl: string;
let targetUrl: string;

beforeAll(async () => {
  secrets = await startSecretsStore();
  dms = await startDmsStandIn({
    pollMs: 50,
    secretValue: (id) => [...secrets.secrets.values()].find((s) => s.arn === id || s.name === id)?.value,
    quotas: { replicationConfigs: 2 },
  });
  const common = { region: 'us-east-1', credentials, maxAttempts: 1 };
  client = new DatabaseMigrationServiceClient({ ...common, endpoint: dms.url });
  metrics = new CloudWatchClient({ ...common, endpoint: dms.url });
  sm = new SecretsManagerClient({ ...common, endpoint: secrets.url });
  const cluster = inject('stack').postgresUrl;
  const s = uniqueName('dmss');
  const t = uniqueName('dmst');
  runSql(cluster, `CREATE DATABASE ${s}`);
  runSql(cluster, `CREATE DATABASE ${t}`);
  sourceUrl = withDatabase(cluster, s);
  targetUrl = withDatabase(cluster, t);
  const ddl = `CREATE TABLE public.a (id bigint PRIMARY KEY, body text, tags text[]);
               CREATE TABLE public.b (id int PRIMARY KEY, v numeric);
               CREATE TABLE public.skipped (id int PRIMARY KEY);`;
  runSql(sourceUrl, ddl);
  runSql(targetUrl, ddl);
  runSql(
    sourceUrl,
    `INSERT INTO public.a SELECT g, 'row ''' || g, ARRAY['x', 'y z'] FROM generate_series(1, 2000) g;
     INSERT INTO public.b SELECT g, g / 3.0 FROM generate_series(1, 500) g;
     INSERT INTO public.skipped VALUES (1);`,
  );
}, 60_000);

afterAll(async () => {
  await dms?.close();
  await secrets?.close();
});

async function secretFor(url: string, name: string): Promise<string> {
  const u = new URL(url);
  const out = await sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: JSON.stringify({
        username: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        host: u.hostname,
        port: Number(u.port),
      }),
    }),
  );
  return out.ARN!;
}

async function until(arn: string, ok: (s: ReplicationState) => boolean): Promise<ReplicationState> {
  for (let i = 0; i < 400; i++) {
    const s = await describeReplication(client, arn);
    if (s && ok(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`replication ${arn} never reached the state`);
}

describe('DMS provider against the stand-in', () => {
  it('loads the mapped tables, applies changes, reports statistics and latency, fails and resumes', async () => {
    const role = 'arn:aws:iam::123456789012:role/dms-secrets';
    const endpoint = async (type: 'source' | 'target', url: string) =>
      createEndpoint(client, {
        identifier: `${uniqueName('ep').replace(/_/g, '-')}-${type}`,
        type,
        database: new URL(url).pathname.slice(1),
        secretArn: await secretFor(url, uniqueName(`s${type}`)),
        secretsRoleArn: role,
        settings: { PluginName: 'test-decoding', SlotName: uniqueName('slot'), CaptureDdls: false },
        tags: { 'engify-migrate:project': 'contract' },
      });
    const source = await endpoint('source', sourceUrl);
    const target = await endpoint('target', targetUrl);
    const id = uniqueName('rc').replace(/_/g, '-');
    const arn = await createReplicationConfig(client, {
      identifier: id,
      sourceEndpointArn: source,
      targetEndpointArn: target,
      type: 'full-load-and-cdc',
      maxCapacityUnits: 4,
      securityGroupIds: [],
      tableMappings: {
        rules: ['a', 'b'].map((t, i) => ({
          'rule-type': 'selection',
          'rule-id': String(i + 1),
          'rule-name': t,
          'object-locator': { 'schema-name': 'public', 'table-name': t },
          'rule-action': 'include',
        })),
      },
      settings: { FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING' } },
      tags: {},
    });
    expect(await findReplicationConfig(client, id)).toBe(arn);

    // A load that fails after one table: failed, with its reason; resume-processing finishes it.
    dms.failNextLoadAfter(1);
    await startReplication(client, arn, 'start-replication');
    const failed = await until(arn, (s) => s.status === 'failed');
    expect(failed.stopReason).toBe('FATAL_ERROR');
    expect(failed.failureMessages[0]).toContain('public.b');
    expect(failed.tablesLoaded).toBe(1);
    await startReplication(client, arn, 'resume-processing');
    const loaded = await until(arn, (s) => s.fullLoadFinished);
    expect(loaded.status).toBe('running');
    expect(loaded.tablesLoaded).toBe(2);
    const [count] = await query<{ n: string }>(targetUrl, 'SELECT count(*)::text AS n FROM public.a');
    expect(count!.n).toBe('2000');
    const [skipped] = await query<{ n: string }>(targetUrl, 'SELECT count(*)::text AS n FROM public.skipped');
    expect(skipped!.n).toBe('0'); // not in the table mappings

    // Change capture: an insert, an update with a quote and an array, a delete.
    runSql(
      sourceUrl,
      `INSERT INTO public.a VALUES (5000, 'new', ARRAY['q''r']);
       UPDATE public.a SET body = 'it''s', tags = NULL WHERE id = 1;
       DELETE FROM public.b WHERE id = 7;`,
    );
    for (let i = 0; i < 200; i++) {
      const stats = await tableStatistics(client, arn);
      const a = stats.find((s) => s.table === 'a')!;
      const b = stats.find((s) => s.table === 'b')!;
      if (a.inserts === 1 && a.updates === 1 && b.deletes === 1) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const rows = await query<{ id: string; body: string; tags: string[] | null }>(
      targetUrl,
      'SELECT id::text, body, tags FROM public.a WHERE id IN (1, 5000) ORDER BY id',
    );
    expect(rows).toEqual([
      { id: '1', body: "it's", tags: null },
      { id: '5000', body: 'new', tags: ["q'r"] },
    ]);
    const stats = await tableStatistics(client, arn);
    expect(stats.find((s) => s.table === 'a')).toMatchObject({
      state: 'Table completed',
      fullLoadRows: 2000,
    });
    expect(await cdcLatencySeconds(metrics, id, new Date())).toBe(0); // caught up

    // Quotas: the stand-in's account allows two replication configs.
    await createReplicationConfig(client, {
      identifier: `${id}-2`,
      sourceEndpointArn: source,
      targetEndpointArn: target,
      type: 'full-load',
      maxCapacityUnits: 1,
      securityGroupIds: [],
      tableMappings: { rules: [] },
      settings: {},
      tags: {},
    });
    const third = await createReplicationConfig(client, {
      identifier: `${id}-3`,
      sourceEndpointArn: source,
      targetEndpointArn: target,
      type: 'full-load',
      maxCapacityUnits: 1,
      securityGroupIds: [],
      tableMappings: { rules: [] },
      settings: {},
      tags: {},
    }).catch((e: unknown) => e);
    expect(isQuotaError(third)).toBe(true);

    await stopReplication(client, arn);
    expect((await describeReplication(client, arn))?.status).toBe('stopped');
    await deleteReplicationConfig(client, arn);
    await deleteReplicationConfig(client, (await findReplicationConfig(client, `${id}-2`))!);
    await deleteEndpoint(client, source);
    await deleteEndpoint(client, target);
    expect(dms.configs.size).toBe(0);
    expect(dms.endpoints.size).toBe(0);
    // The slot went with the replication.
    const slots = await query<{ n: string }>(
      sourceUrl,
      `SELECT count(*)::text AS n FROM pg_replication_slots WHERE database = current_database()`,
    );
    expect(slots[0]!.n).toBe('0');
    expect(dms.calls('StartReplication').map((c) => c.StartReplicationType)).toEqual([
      'start-replication',
      'resume-processing',
    ]);
  }, 60_000);
});
