import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  planSqliteSchema,
  qualifyRelations,
} from '../../../../../src/components/db/dialects/sqlite-schema.js';
import {
  copyField,
  copyText,
  isoMicros,
  pgFloatText,
  pgText,
  roundDecimal,
  rowText,
  timestampText,
} from '../../../../../src/components/db/dialects/sqlite-values.js';
import { readSqliteCatalog } from '../../../../../src/providers/sqlite/sqlite-catalog.js';

// The SQLite -> PostgreSQL type mapping and value forms, on in-memory files built for each rule.

function planOf(sql: string, fill?: (db: InstanceType<typeof Database>) => void) {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'sqlite-unit-')), 'x.db'));
  db.exec(sql);
  fill?.(db);
  try {
    return planSqliteSchema(db, readSqliteCatalog(db));
  } finally {
    db.close();
  }
}
const columnsOf = (plan: ReturnType<typeof planOf>, table: string) =>
  Object.fromEntries(
    (plan.model.tables.find((t) => t.name === table)?.columns ?? []).map((c) => [c.name, c.type]),
  );

describe('SQLite type mapping', () => {
  it('keeps declared types PostgreSQL has, by affinity, and makes the rowid an identity', () => {
    const plan = planOf(
      `CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INT, b SMALLINT, c BIGINT, d VARCHAR(10), e TEXT,
                       f REAL, g DOUBLE, h NUMERIC(8,3), i BLOB, j, k CHAR(4), l CLOB)`,
      (db) => db.prepare("INSERT INTO t (a, b, d, k) VALUES (1, 2, 'abc', 'ab')").run(),
    );
    expect(columnsOf(plan, 't')).toEqual({
      id: 'bigint',
      a: 'integer',
      b: 'smallint',
      c: 'bigint',
      d: 'character varying(10)',
      e: 'text',
      f: 'double precision',
      g: 'double precision',
      h: 'numeric(8,3)',
      i: 'bytea',
      j: 'text',
      k: 'character varying(4)',
      l: 'text',
    });
    const id = plan.model.tables[0]?.columns[0];
    expect(id?.identity).toBe('by default');
    expect(plan.tables[0]?.rowidKey).toBe('id');
    expect(plan.tables[0]?.autoincrement).toBe(true);
    expect(plan.notes.map((n) => n.message).join('\n')).toContain('past the AUTOINCREMENT counter');
  });

  it('detects booleans and timestamps over every value, and keeps text when one value breaks the rule', () => {
    const plan = planOf(
      `CREATE TABLE e (id INTEGER PRIMARY KEY, ok BOOLEAN, flag BOOL, at DATETIME, ts TIMESTAMP, ms TIMESTAMP,
                       day DATE, odd DATETIME, meta JSON)`,
      (db) => {
        const ins = db.prepare(
          'INSERT INTO e (ok, flag, at, ts, ms, day, odd, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        );
        ins.run(
          1,
          't',
          '2024-01-02 03:04:05',
          1_700_000_000,
          1_700_000_000_123,
          '2024-01-02',
          '2024-01-02',
          '{"a":1}',
        );
        ins.run(
          0,
          'false',
          '2024-01-02T03:04:05.123+02:00',
          1_700_000_001,
          1_700_000_000_999,
          '2024-02-29',
          'soon',
          '[]',
        );
      },
    );
    expect(columnsOf(plan, 'e')).toEqual({
      id: 'bigint',
      ok: 'boolean',
      flag: 'boolean',
      at: 'timestamp with time zone',
      ts: 'timestamp with time zone',
      ms: 'timestamp with time zone',
      day: 'date',
      odd: 'text',
      meta: 'json',
    });
    const kinds = Object.fromEntries(plan.tables[0]?.columns.map((c) => [c.name, c.value]) ?? []);
    expect(kinds.ts).toEqual({ kind: 'timestamp', from: 'seconds' });
    expect(kinds.ms).toEqual({ kind: 'timestamp', from: 'milliseconds' });
    expect(plan.notes.find((n) => n.object === 'column public.e.odd')?.message).toMatch(/copied as text/);
  });

  it('widens an INT column holding 64-bit values, and leaves out foreign keys the rows violate', () => {
    const plan = planOf(
      `CREATE TABLE p (id INTEGER PRIMARY KEY, big INT);
       CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id));
       CREATE TABLE d (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id));`,
      (db) => {
        db.prepare('INSERT INTO p (id, big) VALUES (1, 9007199254740993)').run();
        db.prepare('INSERT INTO c (p_id) VALUES (1)').run();
        // An app that ran with foreign keys off (SQLite's own default; better-sqlite3 turns them on).
        db.pragma('foreign_keys = OFF');
        db.prepare('INSERT INTO d (p_id) VALUES (42)').run();
      },
    );
    expect(columnsOf(plan, 'p').big).toBe('bigint');
    const fks = (t: string) =>
      plan.model.tables.find((x) => x.name === t)?.constraints.filter((k) => k.type === 'foreign') ?? [];
    expect(fks('c').map((k) => k.definition)).toEqual(['FOREIGN KEY (p_id) REFERENCES public.p(id)']);
    expect(fks('d')).toEqual([]);
    expect(plan.notes.find((n) => n.object.includes('d_p_id_fkey'))?.message).toMatch(
      /1 row\(s\) violate it/,
    );
  });

  it('translates plain views with qualified names and reports the others', () => {
    const plan = planOf(
      `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
       CREATE VIEW v1 AS SELECT id, name FROM t WHERE id > 1;
       CREATE VIEW v2 AS SELECT ifnull(name, '') AS n FROM t;
       CREATE VIEW v3 AS SELECT * FROM v1 JOIN t ON t.id = v1.id;`,
    );
    expect(plan.model.views.map((v) => [v.name, v.definition])).toEqual([
      ['v1', 'SELECT id, name FROM public.t WHERE id > 1'],
      ['v3', 'SELECT * FROM public.v1 JOIN public.t ON t.id = v1.id'],
    ]);
    expect(plan.notes.find((n) => n.object === 'view public.v2')?.message).toMatch(/SQLite-only/);
    expect(qualifyRelations('select 1 from "T" join x', new Set(['t']))).toBe(
      'select 1 from public."T" join x',
    );
  });
});

describe('SQLite values in PostgreSQL text', () => {
  it('prints floats as float8out does with extra_float_digits 1', () => {
    expect(
      [0.1, 1e-5, 0.0001, 1.5e16, 123456789012345, 1e15, -2.5, 3, 1 / 3, 5e-324].map(pgFloatText),
    ).toEqual([
      '0.1',
      '1e-05',
      '0.0001',
      '1.5e+16',
      '123456789012345',
      '1e+15',
      '-2.5',
      '3',
      '0.3333333333333333',
      '5e-324',
    ]);
  });

  it('normalises timestamps to UTC, numerics to their scale, and rows as record_out does', () => {
    expect(timestampText(isoMicros('2024-01-02T03:04:05.120+02:00') as bigint)).toBe(
      '2024-01-02 01:04:05.12+00',
    );
    expect(timestampText(isoMicros('2024-01-02') as bigint)).toBe('2024-01-02 00:00:00+00');
    expect(isoMicros('2024-02-30 00:00:00')).toBeUndefined();
    expect(copyText({ kind: 'timestamp', from: 'seconds' }, 1_700_000_000n)).toBe('2023-11-14 22:13:20+00');
    expect(roundDecimal('1.005', 2)).toBe('1.01');
    expect(pgText({ kind: 'numeric', scale: 2 }, 3.5)).toBe('3.50');
    expect(copyText({ kind: 'boolean' }, 'T')).toBe('t');
    expect(copyText({ kind: 'bytea' }, Buffer.from([0, 255]))).toBe('\\x00ff');
    expect(copyField('a\tb\\c\nd')).toBe('a\\tb\\\\c\\nd');
    expect(copyField(null)).toBe('\\N');
    expect(rowText(['1', null, '', 'a b', 'x"y', '(z)'])).toBe('(1,,"","a b","x""y","(z)")');
  });
});
