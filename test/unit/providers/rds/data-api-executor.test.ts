import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlStateOf } from '../../../../src/core/sql-executor.js';
import {
  createDataApiExecutor,
  toNamedPlaceholders,
} from '../../../../src/providers/rds/data-api-executor.js';
import { type PostgresCluster, startPostgresCluster } from '../../../../src/sandbox/postgres-cluster.js';
import { type RdsDataApiStandIn, startRdsDataApi } from '../../../../src/sandbox/rds-data-api.js';

const RESOURCE = 'arn:aws:rds:eu-west-1:123456789012:cluster:exec';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:exec';
let cluster: PostgresCluster;
let api: RdsDataApiStandIn;
let client: RDSDataClient;

beforeAll(async () => {
  cluster = await startPostgresCluster();
  api = await startRdsDataApi({
    clusters: [{ resourceArn: RESOURCE, secretArn: SECRET, url: cluster.url() }],
  });
  client = new RDSDataClient({
    region: 'eu-west-1',
    endpoint: api.url,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}, 30_000);

afterAll(async () => {
  client?.destroy();
  await api?.close();
  await cluster?.stop();
});

const executor = () =>
  createDataApiExecutor(client, { resourceArn: RESOURCE, secretArn: SECRET, database: 'postgres' });

describe('Data API executor against the stand-in', () => {
  it('renames placeholders outside quotes and dollar bodies', () => {
    expect(toNamedPlaceholders(`SELECT $1, '$2', $$ $3 $$, "$4", $10::int -- $5`)).toBe(
      `SELECT :p1, '$2', $$ $3 $$, "$4", :p10::int -- $5`,
    );
  });

  it('round-trips typed parameters, exact longs and decimals, bytea and NULL', async () => {
    const db = executor();
    await db.query(
      `CREATE TABLE typed (id uuid PRIMARY KEY, n bigint, d numeric(20,6), j jsonb, b bytea, t timestamptz, f double precision, ok boolean, s text)`,
    );
    await db.batch(`INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      [
        { value: '00000000-0000-4000-8000-000000000001', typeHint: 'UUID' },
        9007199254740991,
        { value: '12345678901234.123456', typeHint: 'DECIMAL' },
        { value: '{"a":[1,2]}', typeHint: 'JSON' },
        new Uint8Array([0, 255, 7]),
        { value: '2024-05-01 10:00:00', typeHint: 'TIMESTAMP' },
        1.5,
        true,
        null,
      ],
    ]);
    const r = await db.query(`SELECT id, n, d, j, encode(b, 'hex') AS b, f, ok, s FROM typed WHERE id = $1`, [
      { value: '00000000-0000-4000-8000-000000000001', typeHint: 'UUID' },
    ]);
    expect(r.rows).toEqual([
      {
        id: '00000000-0000-4000-8000-000000000001',
        n: '9007199254740991',
        d: '12345678901234.123456',
        j: '{"a": [1, 2]}',
        b: '00ff07',
        f: 1.5,
        ok: true,
        s: null,
      },
    ]);
  });

  it('splits batches under the 4 MiB request limit and refuses one oversized set', async () => {
    const db = executor();
    await db.query('CREATE TABLE big (id int PRIMARY KEY, body text)');
    const before = api.requests.filter((r) => r.path === '/BatchExecute').length;
    const sets = Array.from({ length: 12 }, (_, i) => [i, 'x'.repeat(900_000)]);
    await db.batch('INSERT INTO big VALUES ($1, $2)', sets);
    const batches = api.requests.filter((r) => r.path === '/BatchExecute').slice(before);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...batches.map((r) => Buffer.byteLength(r.body)))).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect((await db.query('SELECT count(*)::int AS n FROM big')).rows).toEqual([{ n: 12 }]);
    await expect(
      db.batch('INSERT INTO big VALUES ($1, $2)', [[99, 'y'.repeat(5_000_000)]]),
    ).rejects.toMatchObject({ code: 'RDS_DATA_API_REQUEST_TOO_LARGE' });
  });

  it('gets the documented errors from the stand-in: response over 1 MiB, SQL errors with SQLState, unknown transaction', async () => {
    const db = executor();
    await expect(
      db.query(`SELECT repeat('z', 30000) AS s FROM generate_series(1, 60)`),
    ).rejects.toMatchObject({ code: 'RDS_DATA_API_RESPONSE_TOO_LARGE' });
    const error = await db.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect(sqlStateOf(error)).toBe('42P01');
    const raw = await fetch(`${api.url}/CommitTransaction`, {
      method: 'POST',
      body: JSON.stringify({ resourceArn: RESOURCE, secretArn: SECRET, transactionId: 'nope' }),
    });
    expect(raw.status).toBe(404);
    expect(raw.headers.get('x-amzn-errortype')).toBe('TransactionNotFoundException');
  });

  it('commits and rolls back transactions', async () => {
    const db = executor();
    await db.query('CREATE TABLE tx (id int)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx VALUES (1)');
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx VALUES (2)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.query('SELECT id FROM tx')).rows).toEqual([{ id: 1 }]);
    expect(api.openTransactions()).toBe(0);
    expect(api.requests.some((r) => r.path === '/RollbackTransaction')).toBe(true);
  });
});
