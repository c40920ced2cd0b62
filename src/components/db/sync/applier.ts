import type { ClientBase } from 'pg';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type {
  BatchLimits,
  RowChange,
  RowEncoding,
  RowValues,
  TableName,
} from '../../../core/sync-contracts.js';
import {
  columnDifferences,
  loadTableInfo,
  qualified,
  quoteIdent,
  type TableInfo,
  tableKey,
} from './catalog.js';
import { ensurePositionTable, readPosition, type StoredPosition, writePosition } from './position-store.js';

// Applies a stream of source transactions to one database, exactly once. Many source transactions go
// into one target transaction (bounded by BatchLimits); the stream's position is written in that same
// transaction, so the target's data and its stored position can never disagree. Consecutive changes of
// one kind to one table are sent as one set-based statement (rows travel as a single jsonb parameter),
// which keeps the apply rate close to the decode rate.

export interface ApplierOptions {
  /** A dedicated connection to the database written to; the applier owns its session settings. */
  client: ClientBase;
  stream: string;
  encoding: RowEncoding;
  limits: BatchLimits;
  /**
   * Replication origin this session's writes are tagged with, so the capture on this database (reverse
   * sync) recognises them as ours and does not send them back.
   */
  origin?: string;
  /** Where the applier writes, for messages ("target", "source"). */
  side: string;
}

type PendingOp = { kind: 'upsert' | 'delete'; row: RowValues };

/** Pending row operations held before they are sent (bounds memory and statement size). */
const MAX_PENDING = 5000;

export class Applier {
  private readonly client: ClientBase;
  private readonly tables = new Map<string, TableInfo>();
  private readonly pending = new Map<string, { info: TableInfo; ops: Map<string, PendingOp> }>();
  private pendingCount = 0;
  private inTransaction = false;
  private openedAt = 0;
  private changesInTransaction = 0;
  private pendingPosition: { position: string; commitTime?: Date } | undefined;
  private committed: StoredPosition | undefined;

  constructor(private readonly options: ApplierOptions) {
    this.client = options.client;
  }

  /** Prepares the session and returns the stream's stored position (undefined on a first run). */
  async open(): Promise<StoredPosition | undefined> {
    await ensurePositionTable(this.client);
    // Replica mode: the target's own triggers and FK checks do not fire for replicated rows (the source
    // already enforced them, and rows of one source transaction may arrive in any table order).
    await this.client.query("SET session_replication_role = 'replica'");
    await this.client.query("SET statement_timeout = '300s'");
    if (this.options.origin) await this.setupOrigin(this.options.origin);
    this.committed = await readPosition(this.client, this.options.stream);
    return this.committed;
  }

  private async setupOrigin(origin: string): Promise<void> {
    try {
      await this.client.query(
        'SELECT pg_replication_origin_create($1) WHERE pg_replication_origin_oid($1) IS NULL',
        [origin],
      );
    } catch (error) {
      // A concurrent first run created it between our check and create.
      if ((error as { code?: string }).code !== '23505') throw this.originError(error);
    }
    try {
      await this.client.query('SELECT pg_replication_origin_session_setup($1)', [origin]);
    } catch (error) {
      // 55006: still held by a session of a previous run that the server has not reaped yet: transient.
      if ((error as { code?: string }).code === '55006') throw error;
      throw this.originError(error);
    }
  }

  private originError(error: unknown): EngifyError {
    const reason = error instanceof Error ? error.message : String(error);
    return new EngifyError({
      code: 'SYNC_ORIGIN_UNAVAILABLE',
      kind: 'config',
      message: messages.sync.originUnavailable(this.options.side, reason),
      hint: messages.sync.originUnavailableHint,
      cause: error,
    });
  }

  get position(): StoredPosition | undefined {
    return this.committed;
  }

  /** True when a target transaction holds applied but uncommitted changes or positions. */
  get dirty(): boolean {
    return this.inTransaction;
  }

  /** Ms until the open target transaction must be committed (Infinity when none is open). */
  msUntilDue(now = Date.now()): number {
    if (!this.inTransaction) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.openedAt + this.options.limits.maxDelayMs - now);
  }

  async table(table: TableName): Promise<TableInfo> {
    const key = tableKey(table);
    let info = this.tables.get(key);
    if (!info) {
      info = await loadTableInfo(this.client, table);
      if (!info) {
        throw new EngifyError({
          code: 'SYNC_TABLE_MISSING',
          kind: 'system',
          message: messages.sync.missingTargetTable(qualified(table), this.options.side),
          hint: messages.sync.missingTargetTableHint(this.options.stream),
        });
      }
      this.tables.set(key, info);
    }
    return info;
  }

  /** Forget cached table shapes (after a reconnect the schema may have been re-applied). */
  resetCache(): void {
    this.tables.clear();
  }

  /** Throws the schema-change error when the source's columns differ from this side's table. */
  async checkColumns(table: TableName, sourceColumns: { name: string; typeOid?: number }[]): Promise<void> {
    const info = await this.table(table);
    const differences = columnDifferences(sourceColumns, info);
    if (differences.length > 0) {
      throw new EngifyError({
        code: 'SYNC_SCHEMA_CHANGED',
        kind: 'system',
        message: messages.sync.schemaChanged(qualified(table), differences, this.options.stream),
        hint: messages.sync.schemaChangedHint(this.options.stream),
      });
    }
  }

  private async begin(): Promise<void> {
    if (this.inTransaction) return;
    await this.client.query('BEGIN');
    this.inTransaction = true;
    this.openedAt = Date.now();
    this.changesInTransaction = 0;
  }

  async apply(change: RowChange): Promise<void> {
    await this.begin();
    this.changesInTransaction++;
    if (change.op === 'truncate') {
      await this.flushAll();
      const infos = await Promise.all(change.tables.map((t) => this.table(t)));
      await this.run(
        `TRUNCATE ${infos.map((i) => qualified(i.table)).join(', ')}${change.cascade ? ' CASCADE' : ''}`,
        [],
        infos[0]!,
        'truncate',
      );
      return;
    }
    const info = await this.table(change.table);
    const pk = info.primaryKey;
    if (pk.length === 0) {
      await this.flushTable(tableKey(info.table));
      await this.applyWithoutKey(info, change);
      return;
    }
    if (change.op === 'delete') {
      await this.setOp(info, change.old, { kind: 'delete', row: pick(pk, change.old) });
      return;
    }
    if (change.op === 'update' && change.old && keyOf(pk, change.old) !== keyOf(pk, change.row)) {
      // The primary key itself changed: the old row goes, the new one comes.
      if (pk.every((c) => change.old?.[c] !== undefined)) {
        await this.setOp(info, change.old, { kind: 'delete', row: pick(pk, change.old) });
      }
    }
    let row = change.row;
    if (Object.values(row).some((v) => v === undefined)) {
      // Unchanged TOASTed values were not sent: complete them from a pending full version of the row,
      // or update only the columns we have.
      const earlier = this.pending.get(tableKey(info.table))?.ops.get(keyOf(pk, row));
      if (earlier?.kind === 'upsert') {
        row = { ...row };
        for (const [c, v] of Object.entries(row)) if (v === undefined) row[c] = earlier.row[c];
      } else {
        await this.flushTable(tableKey(info.table));
        await this.partialUpdate(
          info,
          row,
          Object.keys(row).filter((c) => row[c] !== undefined),
        );
        return;
      }
    }
    await this.setOp(info, row, { kind: 'upsert', row });
  }

  /**
   * Records the latest operation on one key. Only the last operation per key matters for a table with a
   * primary key (upserts carry the whole row), so a batch collapses to at most one DELETE and one
   * INSERT .. ON CONFLICT per table, however its source transactions interleave.
   */
  private async setOp(info: TableInfo, keySource: RowValues, op: PendingOp): Promise<void> {
    const tk = tableKey(info.table);
    let table = this.pending.get(tk);
    if (!table) {
      table = { info, ops: new Map() };
      this.pending.set(tk, table);
    }
    const key = keyOf(info.primaryKey, keySource);
    // Re-inserting moves the key to the end: rows go out in the order of their last change.
    table.ops.delete(key);
    table.ops.set(key, op);
    this.pendingCount++;
    if (this.pendingCount >= MAX_PENDING) await this.flushAll();
  }

  /** Call when a source transaction ends; commits the target transaction when a limit is reached. */
  async endSourceTransaction(position: string, commitTime: Date | undefined): Promise<boolean> {
    await this.begin();
    this.pendingPosition = { position, commitTime };
    if (
      this.changesInTransaction >= this.options.limits.maxChanges ||
      Date.now() - this.openedAt >= this.options.limits.maxDelayMs
    ) {
      await this.commit();
      return true;
    }
    return false;
  }

  /** Flushes and commits the open target transaction with its position. Returns the committed position. */
  async commit(): Promise<StoredPosition | undefined> {
    if (!this.inTransaction) return this.committed;
    await this.flushAll();
    const pending = this.pendingPosition;
    if (pending) {
      await writePosition(
        this.client,
        this.options.stream,
        pending.position,
        pending.commitTime,
        this.changesInTransaction,
      );
    }
    await this.client.query('COMMIT');
    this.inTransaction = false;
    if (pending) {
      this.committed = {
        position: pending.position,
        commitTime: pending.commitTime,
        changes: (this.committed?.changes ?? 0) + this.changesInTransaction,
      };
    }
    this.pendingPosition = undefined;
    return this.committed;
  }

  get batchChanges(): number {
    return this.inTransaction ? this.changesInTransaction : 0;
  }

  /** Discards the open target transaction (its source transactions will be received again). */
  async rollback(): Promise<void> {
    this.pending.clear();
    this.pendingCount = 0;
    this.pendingPosition = undefined;
    if (!this.inTransaction) return;
    this.inTransaction = false;
    await this.client.query('ROLLBACK').catch(() => undefined);
  }

  private async flushAll(): Promise<void> {
    for (const key of [...this.pending.keys()]) await this.flushTable(key);
    this.pendingCount = 0;
  }

  private async flushTable(key: string): Promise<void> {
    const table = this.pending.get(key);
    if (!table) return;
    this.pending.delete(key);
    const deletes: RowValues[] = [];
    const upserts = new Map<string, { columns: string[]; rows: RowValues[] }>();
    for (const op of table.ops.values()) {
      if (op.kind === 'delete') {
        deletes.push(op.row);
        continue;
      }
      const columns = Object.keys(op.row);
      const signature = columns.join('\u0000');
      let group = upserts.get(signature);
      if (!group) {
        group = { columns, rows: [] };
        upserts.set(signature, group);
      }
      group.rows.push(op.row);
    }
    // Deletes first: a key is in only one list, and a unique value freed by a delete may be reused.
    if (deletes.length > 0) await this.deleteByKey(table.info, deletes);
    for (const group of upserts.values()) await this.upsert(table.info, group.columns, group.rows);
  }

  /** SELECT list turning the jsonb parameter's elements (alias r / p) into typed columns. */
  private selectFrom(info: TableInfo, columns: string[]): { list: string; from: string } {
    const types = new Map(info.columns.map((c) => [c.name, c.type]));
    if (this.options.encoding === 'json') {
      return {
        list: columns.map((c) => `p.${quoteIdent(c)}`).join(', '),
        from: `jsonb_array_elements($1::jsonb) AS r CROSS JOIN LATERAL jsonb_populate_record(NULL::${qualified(info.table)}, r) AS p`,
      };
    }
    return {
      list: columns
        .map((c) => `(r->>${literal(c)})::${types.get(c) ?? 'text'} AS ${quoteIdent(c)}`)
        .join(', '),
      from: 'jsonb_array_elements($1::jsonb) AS r',
    };
  }

  private async upsert(info: TableInfo, columns: string[], rows: RowValues[]): Promise<void> {
    const writable = new Set(info.writable.map((c) => c.name));
    const cols = columns.filter((c) => writable.has(c));
    const { list, from } = this.selectFrom(info, cols);
    const pk = info.primaryKey.map(quoteIdent).join(', ');
    const updates = cols.filter((c) => !info.primaryKey.includes(c));
    const onConflict =
      updates.length === 0
        ? 'DO NOTHING'
        : `DO UPDATE SET ${updates.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`;
    const sql = `INSERT INTO ${qualified(info.table)} (${cols.map(quoteIdent).join(', ')}) OVERRIDING SYSTEM VALUE
      SELECT ${list} FROM ${from} ON CONFLICT (${pk}) ${onConflict}`;
    await this.run(sql, [JSON.stringify(rows)], info, 'upsert');
  }

  private async insertPlain(info: TableInfo, columns: string[], rows: RowValues[]): Promise<void> {
    const writable = new Set(info.writable.map((c) => c.name));
    const cols = columns.filter((c) => writable.has(c));
    const { list, from } = this.selectFrom(info, cols);
    const sql = `INSERT INTO ${qualified(info.table)} (${cols.map(quoteIdent).join(', ')}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM ${from}`;
    await this.run(sql, [JSON.stringify(rows)], info, 'insert');
  }

  private async deleteByKey(info: TableInfo, keys: RowValues[]): Promise<void> {
    const { list, from } = this.selectFrom(info, info.primaryKey);
    const match = info.primaryKey.map((c) => `t.${quoteIdent(c)} = k.${quoteIdent(c)}`).join(' AND ');
    const sql = `DELETE FROM ${qualified(info.table)} AS t USING (SELECT ${list} FROM ${from}) AS k WHERE ${match}`;
    await this.run(sql, [JSON.stringify(keys)], info, 'delete');
  }

  private async partialUpdate(info: TableInfo, row: RowValues, columns: string[]): Promise<void> {
    const { list, from } = this.selectFrom(info, columns);
    const sets = columns
      .filter((c) => !info.primaryKey.includes(c))
      .map((c) => `${quoteIdent(c)} = v.${quoteIdent(c)}`);
    if (sets.length === 0) return;
    const match = info.primaryKey.map((c) => `t.${quoteIdent(c)} = v.${quoteIdent(c)}`).join(' AND ');
    const sql = `UPDATE ${qualified(info.table)} AS t SET ${sets.join(', ')} FROM (SELECT ${list} FROM ${from}) AS v WHERE ${match}`;
    await this.run(sql, [JSON.stringify([row])], info, 'update');
  }

  /** REPLICA IDENTITY FULL tables without a primary key: rows are matched on every column. */
  private async applyWithoutKey(
    info: TableInfo,
    change: Exclude<RowChange, { op: 'truncate' }>,
  ): Promise<void> {
    if (change.op === 'update' || change.op === 'delete') {
      const old = change.old;
      if (!old) throw new Error(`no old row for ${change.op} on ${qualified(info.table)}`);
      const cols = info.writable.map((c) => c.name).filter((c) => old[c] !== undefined);
      const { list, from } = this.selectFrom(info, cols);
      const match = cols
        .map((c) => `t.${quoteIdent(c)}::text IS NOT DISTINCT FROM o.${quoteIdent(c)}::text`)
        .join(' AND ');
      const sql = `DELETE FROM ${qualified(info.table)} WHERE ctid = (
        SELECT t.ctid FROM ${qualified(info.table)} AS t, (SELECT ${list} FROM ${from}) AS o WHERE ${match} LIMIT 1)`;
      await this.run(sql, [JSON.stringify([old])], info, change.op);
    }
    if (change.op === 'insert' || change.op === 'update') {
      const columns = Object.keys(change.row).filter((c) => change.row[c] !== undefined);
      await this.insertPlain(info, columns, [change.row]);
    }
  }

  private async run(sql: string, params: unknown[], info: TableInfo, op: string): Promise<void> {
    try {
      await this.client.query(sql, params);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      // A SQLSTATE outside classes 08 (connection), 57 (operator intervention), 53 (resources),
      // 40 (rollback), 55 (object in use) is about the data and will not fix itself; socket errors
      // (ECONNRESET, no SQLSTATE) and those classes are retried by the runner.
      if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && !/^(08|57|53|40|55)/.test(e.code)) {
        throw new EngifyError({
          code: 'SYNC_APPLY_FAILED',
          kind: 'system',
          message: messages.sync.applyFailed(
            qualified(info.table),
            op,
            `${e.code} ${e.message ?? ''}`.trim(),
          ),
          hint: messages.sync.applyFailedHint,
          cause: error,
        });
      }
      throw error;
    }
  }
}

function pick(columns: string[], row: RowValues): RowValues {
  const out: RowValues = {};
  for (const c of columns) out[c] = row[c];
  return out;
}

function keyOf(pk: string[], row: RowValues): string {
  return JSON.stringify(pk.map((c) => row[c] ?? null));
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
