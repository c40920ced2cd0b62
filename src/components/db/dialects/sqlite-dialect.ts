import { statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import type { SequenceValue, TableInfo } from '../../../providers/postgres/catalog.js';
import type { RangeChecksum } from '../../../providers/postgres/checksum.js';
import {
  type KeyRange,
  rangeCount,
  rangesFromBounds,
  WHOLE_TABLE,
} from '../../../providers/postgres/ranges.js';
import { readSqliteCatalog } from '../../../providers/sqlite/sqlite-catalog.js';
import { changeCounter, openSqlite, sqliteProblem } from '../../../providers/sqlite/sqlite-file.js';
import type { TranslationNote } from '../schema/statements.js';
import type { TranslateOptions } from '../schema/translate.js';
import type { ConsistentRead, RangeReader, SourceDialect, SourceSession } from '../source-dialect.js';
import { NO_INTERNALS } from './postgres-dialect.js';
import { planSqliteSchema, type SqliteSchema, type SqliteTablePlan } from './sqlite-schema.js';
import { copyDataMessage, copyField, copyText, pgText, rowHash, rowText } from './sqlite-values.js';

// A SQLite database file as a source (source.sqlite.path). One database, copied into the target's
// "public" schema. No change capture: the plan says the app must stop writing, sync is refused.
// A consistent read is a read transaction held open on one connection for the whole copy: in rollback-
// journal mode its SHARED lock also keeps any writer from committing until the copy has finished.
// Copy is text COPY, produced here from the stored values (sqlite-values.ts); binary COPY would need
// each PostgreSQL type's binary encoding written in this process for no gain the text form lacks.

const CHUNK = 64 * 1024;
const DESCRIBED = new Map<string, Promise<SqliteSchema>>();
const versionKey = (path: string) => {
  try {
    const s = statSync(path);
    return `${path}:${s.size}:${s.mtimeMs}`;
  } catch {
    return `${path}:missing`;
  }
};
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

export interface SqliteDialectOptions {
  path: string;
  busyTimeoutMs: number;
}

export class SqliteDialect implements SourceDialect {
  readonly kind = 'sqlite';
  readonly capture = 'none' as const;
  readonly copyFormats = ['text'] as const;
  readonly internals = NO_INTERNALS;
  readonly schemas = ['public'];
  readonly fields = { location: 'source.sqlite.path', schemas: 'source.sqlite.path' };
  private described?: Promise<SqliteSchema>;

  constructor(private readonly options: SqliteDialectOptions) {}

  private connect(check = false): Promise<Database> {
    return openSqlite(this.options.path, { busyTimeoutMs: this.options.busyTimeoutMs, check });
  }

  /**
   * Catalog and type mapping, once per process and file version (size and mtime): plan, apply and
   * verify build their own dialect objects, and the mapping reads every stored value.
   */
  private describe(): Promise<SqliteSchema> {
    const key = versionKey(this.options.path);
    const cached = DESCRIBED.get(key);
    if (cached) return cached;
    this.described = (async () => {
      const db = await this.connect(true);
      try {
        return planSqliteSchema(db, readSqliteCatalog(db));
      } catch (error) {
        throw sqliteProblem(this.options.path, error, this.options.busyTimeoutMs) ?? error;
      } finally {
        db.close();
      }
    })();
    DESCRIBED.set(key, this.described);
    this.described.catch(() => DESCRIBED.delete(key));
    return this.described;
  }

  private async planOf(table: Pick<TableInfo, 'name'>): Promise<SqliteTablePlan> {
    const plan = (await this.describe()).tables.find((t) => t.name === table.name);
    if (!plan) throw new Error(`table ${table.name} is not in ${this.options.path}`);
    return plan;
  }

  translateOptions(): TranslateOptions {
    return { schemas: this.schemas, supabase: false, schemasField: this.fields.schemas };
  }

  async introspect() {
    return (await this.describe()).model;
  }

  async translationNotes(): Promise<TranslationNote[]> {
    return (await this.describe()).notes;
  }

  async open(): Promise<SourceSession> {
    const schema = await this.describe();
    const db = await this.connect();
    return {
      tables: async () => schema.tables.map((t) => t.copy),
      indexBytes: async () => 0,
      sequences: async () => sequencesOf(db, schema),
      checksum: async (table, range) => checksum(db, await this.planOf(table), table, range),
      close: async () => {
        db.close();
      },
    };
  }

  async consistentRead(): Promise<ConsistentRead> {
    const holder = await this.connect();
    try {
      holder.exec('BEGIN');
      holder.prepare('SELECT count(*) FROM sqlite_schema').get();
    } catch (error) {
      holder.close();
      throw sqliteProblem(this.options.path, error, this.options.busyTimeoutMs) ?? error;
    }
    const lsn = `change counter ${changeCounter(this.options.path)}`;
    return {
      id: lsn,
      lsn,
      reader: async () => this.reader(await this.connect()),
      release: async () => {
        if (holder.inTransaction) holder.exec('COMMIT');
        holder.close();
      },
    };
  }

  private reader(db: Database): RangeReader {
    db.exec('BEGIN');
    return {
      split: async (table, options) => split(db, table, options),
      copyOut: (table, range) => {
        const self = this;
        return Readable.from(
          (async function* () {
            const plan = await self.planOf(table);
            yield* copyRows(db, plan, table, range);
          })(),
          { objectMode: false },
        );
      },
      rows: (table, range, batchRows) => textBatches(this, db, table, range, batchRows),
      close: async () => {
        if (db.inTransaction) db.exec('COMMIT');
        db.close();
      },
    };
  }

  /** For textBatches. */
  plan(table: Pick<TableInfo, 'name'>) {
    return this.planOf(table);
  }
}

function rangeSql(
  plan: SqliteTablePlan,
  table: TableInfo,
  range: KeyRange,
): { sql: string; params: bigint[] } {
  const list = plan.columns.map((c) => q(c.name)).join(', ');
  const key = table.primaryKey[0];
  const where: string[] = [];
  const params: bigint[] = [];
  if (key !== undefined && range.lo !== null) {
    where.push(`${q(key)} >= ?`);
    params.push(BigInt(range.lo));
  }
  if (key !== undefined && range.hi !== null) {
    where.push(`${q(key)} < ?`);
    params.push(BigInt(range.hi));
  }
  return {
    sql: `SELECT ${list} FROM ${q(plan.name)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    params,
  };
}

function iterate(db: Database, plan: SqliteTablePlan, table: TableInfo, range: KeyRange) {
  const { sql, params } = rangeSql(plan, table, range);
  return db
    .prepare(sql)
    .raw(true)
    .safeIntegers(true)
    .iterate(...params) as IterableIterator<unknown[]>;
}

function* copyRows(
  db: Database,
  plan: SqliteTablePlan,
  table: TableInfo,
  range: KeyRange,
): Generator<Buffer> {
  const kinds = plan.columns.map((c) => c.value);
  let lines: string[] = [];
  let size = 0;
  for (const row of iterate(db, plan, table, range)) {
    const line = `${row.map((v, i) => copyField(copyText(kinds[i] as (typeof kinds)[number], v))).join('\t')}\n`;
    lines.push(line);
    size += line.length;
    if (size >= CHUNK) {
      yield copyDataMessage(Buffer.from(lines.join(''), 'utf8'));
      lines = [];
      size = 0;
    }
  }
  if (lines.length > 0) yield copyDataMessage(Buffer.from(lines.join(''), 'utf8'));
}

async function* textBatches(
  dialect: SqliteDialect,
  db: Database,
  table: TableInfo,
  range: KeyRange,
  batchRows: number,
): AsyncGenerator<(string | null)[][]> {
  const plan = await dialect.plan(table);
  const kinds = plan.columns.map((c) => c.value);
  let batch: (string | null)[][] = [];
  for (const row of iterate(db, plan, table, range)) {
    batch.push(row.map((v, i) => copyText(kinds[i] as (typeof kinds)[number], v)));
    if (batch.length >= batchRows) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function split(db: Database, table: TableInfo, options: Parameters<RangeReader['split']>[1]): KeyRange[] {
  const n = rangeCount(table, options);
  const key = table.primaryKey[0];
  if (n <= 1 || table.keyKind !== 'integer' || key === undefined) return [WHOLE_TABLE];
  const row = db
    .prepare(`SELECT min(${q(key)}) AS lo, max(${q(key)}) AS hi FROM ${q(table.name)}`)
    .safeIntegers(true)
    .get() as { lo: bigint | null; hi: bigint | null };
  if (row.lo === null || row.hi === null) return [WHOLE_TABLE];
  const span = row.hi - row.lo + 1n;
  const parts = span < BigInt(n) ? span : BigInt(n);
  const width = (span + parts - 1n) / parts;
  const bounds: string[] = [];
  for (let i = 1n; i < parts; i++) bounds.push((row.lo + width * i).toString());
  return rangesFromBounds(bounds);
}

/** Hashes the range's rows in their target text, as checksum.ts does on the target. */
function checksum(db: Database, plan: SqliteTablePlan, table: TableInfo, range: KeyRange): RangeChecksum {
  const kinds = plan.columns.map((c) => c.value);
  let rows = 0n;
  let hash = 0n;
  for (const row of iterate(db, plan, table, range)) {
    rows++;
    hash += rowHash(rowText(row.map((v, i) => pgText(kinds[i] as (typeof kinds)[number], v))));
  }
  return { rows: rows.toString(), hash: hash.toString() };
}

/** The identity sequences: past the largest key and the AUTOINCREMENT counter. */
function sequencesOf(db: Database, schema: SqliteSchema): SequenceValue[] {
  const counters = new Map<string, bigint>();
  if (db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get())
    for (const r of db.prepare('SELECT name, seq FROM sqlite_sequence').safeIntegers(true).all() as {
      name: string;
      seq: bigint;
    }[])
      counters.set(r.name, r.seq);
  const out: SequenceValue[] = [];
  for (const t of schema.tables) {
    if (!t.rowidKey) continue;
    const max = (
      db
        .prepare(`SELECT max(${q(t.rowidKey)}) AS m FROM ${q(t.name)}`)
        .safeIntegers(true)
        .get() as {
        m: bigint | null;
      }
    ).m;
    const counter = counters.get(t.name) ?? null;
    const last = [max, counter].reduce<bigint | null>(
      (a, b) => (b !== null && (a === null || b > a) ? b : a),
      null,
    );
    out.push({
      schema: 'public',
      name: `${t.name}_${t.rowidKey}_seq`,
      lastValue: last === null || last < 1n ? null : last.toString(),
      isCalled: true,
    });
  }
  return out;
}
