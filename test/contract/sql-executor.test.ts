import { RDSDataClient } from '@aws-sdk/client-rds-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SqlExecutor, sqlStateOf } from '../../src/core/sql-executor.js';
import { createPgExecutor } from '../../src/providers/postgres/pg-executor.js';
import { createDataApiExecutor } from '../../src/providers/rds/data-api-executor.js';
import { type RdsDataApiStandIn, startRdsDataApi } from '../../src/sandbox/rds-data-api.js';

// One SqlExecutor contract, run through the same cases against a direct `pg` connection and the RDS
// Data API (the real RDSDataClient talking to the stand-in over the stack's PostgreSQL). Both reach the
// same database, each with its own tables, so a difference in an answer is the executor's, not the data's.
// What the executors may differ in is declared in `capabilities` (COPY, request/response limits); the
// suite reads it rather than the implementation's name.

const RESOURCE = 'arn:aws:rds:us-east-1:123456789012:cluster:contract';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:contract';
const DATABASE = `sql_contract_${process.pid}`;

let api: RdsDataApiStandIn;
let rdsData: RDSDataClient;
const open: SqlExecutor[] = [];

const databaseUrl = () => {
  const url = new URL(inject('stack').postgresUrl);
  url.pathname = `/${DATABASE}`;
  return url.toString();
};

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: inject('stack').postgresUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  api = await startRdsDataApi({
    clusters: [{ resourceArn: RESOURCE, secretArn: SECRET, url: databaseUrl() }],
  });
  rdsData = new RDSDataClient({
    region: 'us-east-1',
    endpoint: api.url,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  for (const e of open) await e.close();
  rdsData?.destroy();
  await api?.close();
  const admin = new pg.Client({ connectionString: inject('stack').postgresUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
});

interface Implementation {
  name: string;
  /** Table-name prefix: the two executors share the database, not their tables. */
  prefix: string;
  make(): Promise<SqlExecutor>;
}

const implementations: Implementation[] = [
  {
    name: 'pg (direct connection)',
    prefix: 'pgx',
    async make() {
      const e = await createPgExecutor({
        connect: async () => {
          const c = new pg.Client({ connectionString: databaseUrl() });
          await c.connect();
          return c;
        },
      });
      open.push(e);
      return e;
    },
  },
  {
    name: 'RDS Data API (stand-in, real RDSDataClient)',
    prefix: 'dapi',
    async make() {
      const e = createDataApiExecutor(rdsData, {
        resourceArn: RESOURCE,
        secretArn: SECRET,
        database: DATABASE,
      });
      open.push(e);
      return e;
    },
  },
];

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the statement to fail');
    },
    (e: unknown) => e,
  );

describe.each(implementations)('SqlExecutor contract: $name', ({ prefix, make }) => {
  let db: SqlExecutor;
  const t = (name: string) => `${prefix}_${name}`;
  beforeAll(async () => {
    db = await make();
  });

  it('declares its capabilities', () => {
    expect(typeof db.capabilities.copy).toBe('boolean');
    expect(typeof db.capabilities.structuredValues).toBe('boolean');
    for (const limit of [db.capabilities.maxRequestBytes, db.capabilities.maxResponseBytes]) {
      if (limit !== undefined) expect(limit).toBeGreaterThan(0);
    }
  });

  it('scalar types come back the same in every executor (longs and decimals as exact strings)', async () => {
    const r = await db.query(
      `SELECT 42::int4 AS i4, 7::int2 AS i2, 9007199254740993::int8 AS i8, 12345678901234.123456::numeric(20,6) AS d,
              1.5::float8 AS f8, true AS yes, false AS no, 'ünï ''q'' 📄'::text AS s, ''::text AS empty,
              NULL::text AS nothing, '00000000-0000-4000-8000-000000000001'::uuid AS id, 'x'::varchar(3) AS v`,
    );
    expect(r.rows).toEqual([
      {
        i4: 42,
        i2: 7,
        i8: '9007199254740993',
        d: '12345678901234.123456',
        f8: 1.5,
        yes: true,
        no: false,
        s: "ünï 'q' 📄",
        empty: '',
        nothing: null,
        id: '00000000-0000-4000-8000-000000000001',
        v: 'x',
      },
    ]);
    expect(r.rowCount).toBe(1);
  });

  it('values read as text come back byte-identical for every type (what checksums and verify rely on)', async () => {
    await db.query(
      `CREATE TABLE ${t('typed')} (id uuid PRIMARY KEY, n bigint, d numeric(20,6), j jsonb, b bytea,
         ts timestamp, day date, arr int[], f double precision, ok boolean, s text)`,
    );
    await db.batch(`INSERT INTO ${t('typed')} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [
      [
        { value: '00000000-0000-4000-8000-000000000001', typeHint: 'UUID' },
        9007199254740991,
        { value: '12345678901234.123456', typeHint: 'DECIMAL' },
        { value: '{"a":[1,2],"b":"é"}', typeHint: 'JSON' },
        new Uint8Array([0, 255, 7, 92]),
        { value: '2024-05-01 10:00:00', typeHint: 'TIMESTAMP' },
        { value: '2024-02-29', typeHint: 'DATE' },
        '{1,2,3}',
        -0.25,
        true,
        'tab\there',
      ],
      [
        { value: '00000000-0000-4000-8000-000000000002', typeHint: 'UUID' },
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
      ],
    ]);
    const r = await db.query(
      `SELECT id::text, n::text, d::text, j::text, encode(b, 'hex') AS b, ts::text,
              day::text, arr::text, f::text, ok::text, s FROM ${t('typed')} ORDER BY id`,
    );
    expect(r.rows).toEqual([
      {
        id: '00000000-0000-4000-8000-000000000001',
        n: '9007199254740991',
        d: '12345678901234.123456',
        j: '{"a": [1, 2], "b": "é"}',
        b: '00ff075c',
        ts: '2024-05-01 10:00:00',
        day: '2024-02-29',
        arr: '{1,2,3}',
        f: '-0.25',
        ok: 'true',
        s: 'tab\there',
      },
      {
        id: '00000000-0000-4000-8000-000000000002',
        n: null,
        d: null,
        j: null,
        b: null,
        ts: null,
        day: null,
        arr: null,
        f: null,
        ok: null,
        s: null,
      },
    ]);
  });

  it('date and time types come back in PostgreSQL text form: exact to the microsecond, whatever the TZ', async () => {
    const r = await db.query(
      `SELECT '2024-05-01 10:00:00.123456+00'::timestamptz AT TIME ZONE 'UTC' AS ts, '2024-02-29'::date AS day,
              '23:59:59.5'::time AS tm, '1 day 02:00:00'::interval AS iv, '2024-05-01 10:00:00.123456'::timestamp AS local`,
    );
    expect(r.rows).toEqual([
      {
        ts: '2024-05-01 10:00:00.123456',
        day: '2024-02-29',
        tm: '23:59:59.5',
        iv: '1 day 02:00:00',
        local: '2024-05-01 10:00:00.123456',
      },
    ]);
  });

  it('json, arrays and bytea come back as the executor declares (structuredValues)', async () => {
    const r = await db.query(`SELECT '{"a": [1, 2]}'::jsonb AS j, ARRAY[1, 2] AS arr, '\\x00ff'::bytea AS b`);
    if (db.capabilities.structuredValues) {
      expect(r.rows).toEqual([{ j: { a: [1, 2] }, arr: [1, 2], b: '\\x00ff' }]);
    } else {
      expect(r.rows).toEqual([
        { j: '{"a": [1, 2]}', arr: '{1,2}', b: Buffer.from([0, 255]).toString('base64') },
      ]);
    }
  });

  it('parameters: $n reused, cast, inside quotes left alone, typed hints honoured', async () => {
    const r = await db.query(
      `SELECT $1::int + $1::int AS twice, '$1' AS literal, $2::text AS s, $3::uuid AS u, $4::bool AS b`,
      [21, "it's $2", { value: '00000000-0000-4000-8000-0000000000ff', typeHint: 'UUID' }, false],
    );
    expect(r.rows).toEqual([
      { twice: 42, literal: '$1', s: "it's $2", u: '00000000-0000-4000-8000-0000000000ff', b: false },
    ]);
  });

  it('rowCount: rows returned for SELECT/RETURNING, rows touched for INSERT/UPDATE/DELETE, 0 for DDL', async () => {
    expect((await db.query(`CREATE TABLE ${t('counts')} (id int PRIMARY KEY, v text)`)).rowCount).toBe(0);
    const ins = await db.query(`INSERT INTO ${t('counts')} SELECT g, 'v' FROM generate_series(1, 5) g`);
    expect(ins).toEqual({ rows: [], rowCount: 5 });
    const upd = await db.query(`UPDATE ${t('counts')} SET v = 'w' WHERE id > $1`, [2]);
    expect(upd).toEqual({ rows: [], rowCount: 3 });
    const ret = await db.query(`DELETE FROM ${t('counts')} WHERE id <= $1 RETURNING id`, [2]);
    expect(ret.rows).toEqual([{ id: 1 }, { id: 2 }]);
    expect(ret.rowCount).toBe(2);
    const none = await db.query(`SELECT id FROM ${t('counts')} WHERE id < 0`);
    expect(none).toEqual({ rows: [], rowCount: 0 });
    const sel = await db.query(`SELECT id, v FROM ${t('counts')} ORDER BY id`);
    expect(sel.rows).toEqual([3, 4, 5].map((id) => ({ id, v: 'w' })));
    expect(sel.rowCount).toBe(3);
  });

  it('batch: many parameter sets, all or nothing; an empty batch is a no-op', async () => {
    await db.query(`CREATE TABLE ${t('batch')} (id int PRIMARY KEY, body text)`);
    await db.batch(`INSERT INTO ${t('batch')} VALUES ($1, $2)`, []);
    await db.batch(
      `INSERT INTO ${t('batch')} VALUES ($1, $2)`,
      Array.from({ length: 250 }, (_, i) => [i, `row ${i}`]),
    );
    expect((await db.query(`SELECT count(*)::int AS n FROM ${t('batch')}`)).rows).toEqual([{ n: 250 }]);
    const e = await failure(
      db.batch(`INSERT INTO ${t('batch')} VALUES ($1, $2)`, [
        [1000, 'new'],
        [1001, 'new'],
        [5, 'duplicate key'],
      ]),
    );
    expect(sqlStateOf(e)).toBe('23505');
    expect((await db.query(`SELECT count(*)::int AS n FROM ${t('batch')} WHERE id >= 1000`)).rows).toEqual([
      { n: 0 },
    ]);
  });

  it('transaction: commits on resolve, returns the value; rolls back on throw and rethrows the same error', async () => {
    await db.query(`CREATE TABLE ${t('tx')} (id int PRIMARY KEY)`);
    const value = await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${t('tx')} VALUES ($1)`, [1]);
      await tx.batch(`INSERT INTO ${t('tx')} VALUES ($1)`, [[2], [3]]);
      return (await tx.query(`SELECT count(*)::int AS n FROM ${t('tx')}`)).rows[0]?.n;
    });
    expect(value).toBe(3);
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${t('tx')} VALUES (4)`);
        await tx.batch(`INSERT INTO ${t('tx')} VALUES ($1)`, [[5], [6]]);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect((await db.query(`SELECT id FROM ${t('tx')} ORDER BY id`)).rows).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 3 },
    ]);
  });

  it('transaction: a failed statement inside rolls the whole transaction back, with its SQLSTATE', async () => {
    await db.query(`CREATE TABLE ${t('txerr')} (id int PRIMARY KEY)`);
    const e = await failure(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${t('txerr')} VALUES (1)`);
        await tx.query(`INSERT INTO ${t('txerr')} VALUES (1)`);
      }),
    );
    expect(sqlStateOf(e)).toBe('23505');
    expect((await db.query(`SELECT count(*)::int AS n FROM ${t('txerr')}`)).rows).toEqual([{ n: 0 }]);
    // Savepoints work inside a transaction (schema apply uses them for optional statements).
    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${t('txerr')} VALUES (7)`);
      await tx.query('SAVEPOINT sp');
      await failure(tx.query(`INSERT INTO ${t('txerr')} VALUES (7)`));
      await tx.query('ROLLBACK TO SAVEPOINT sp');
      await tx.query(`INSERT INTO ${t('txerr')} VALUES (8)`);
    });
    expect((await db.query(`SELECT id FROM ${t('txerr')} ORDER BY id`)).rows).toEqual([{ id: 7 }, { id: 8 }]);
  });

  it('errors carry the SQLSTATE and the server text, and the executor stays usable after them', async () => {
    const cases: [string, string, RegExp][] = [
      ['SELECT * FROM no_such_table_anywhere', '42P01', /no_such_table_anywhere/],
      ['SELEC 1', '42601', /syntax error/],
      ['SELECT 1/0', '22012', /division by zero/],
      [`SELECT 'x'::int`, '22P02', /invalid input syntax/],
    ];
    for (const [sql, state, text] of cases) {
      const e = await failure(db.query(sql));
      expect(sqlStateOf(e), sql).toBe(state);
      expect(String((e as Error).message), sql).toMatch(text);
      expect(e).toBeInstanceOf(Error);
    }
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('a response over the declared limit fails with a clear error; without a limit it is returned', async () => {
    const limit = db.capabilities.maxResponseBytes;
    const rows = limit === undefined ? 60 : Math.ceil((limit * 1.5) / 30_000);
    const sql = `SELECT repeat('z', 30000) AS s FROM generate_series(1, ${rows})`;
    if (limit === undefined) {
      expect((await db.query(sql)).rowCount).toBe(rows);
    } else {
      await expect(db.query(sql)).rejects.toMatchObject({ code: 'RDS_DATA_API_RESPONSE_TOO_LARGE' });
      // Paged below the limit, the same data is readable.
      const page = Math.floor(limit / 2 / 30_000);
      expect((await db.query(`${sql} LIMIT ${page}`)).rowCount).toBe(page);
    }
  });

  it('a request over the declared limit is refused before it is sent, naming the limit', async () => {
    const limit = db.capabilities.maxRequestBytes;
    await db.query(`CREATE TABLE ${t('bigreq')} (id int, body text)`);
    if (limit === undefined) {
      await db.batch(`INSERT INTO ${t('bigreq')} VALUES ($1, $2)`, [[1, 'y'.repeat(5_000_000)]]);
      expect((await db.query(`SELECT length(body) AS n FROM ${t('bigreq')}`)).rows).toEqual([
        { n: 5_000_000 },
      ]);
    } else {
      await expect(
        db.batch(`INSERT INTO ${t('bigreq')} VALUES ($1, $2)`, [[1, 'y'.repeat(limit + 1)]]),
      ).rejects.toMatchObject({ code: 'RDS_DATA_API_REQUEST_TOO_LARGE' });
      expect((await db.query(`SELECT count(*)::int AS n FROM ${t('bigreq')}`)).rows).toEqual([{ n: 0 }]);
    }
  });
});
