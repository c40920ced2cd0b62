import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

// The data side of the DMS stand-in (dms-api.ts): a replication's full load as a plain COPY per table
// from the source endpoint's database to the target's, and its change capture as a logical slot
// (test_decoding, the plugin DMS uses when pglogical is absent) polled and applied to the target by
// primary key. Small on purpose: it exists so the tool's own verify checks data that really moved
// through the DMS control flow, not to compete with db.copy.

export interface Conn {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface TableRef {
  schema: string;
  name: string;
}

export interface TableProgress extends TableRef {
  state: 'Before load' | 'Full load' | 'Table completed' | 'Table error';
  fullLoadRows: number;
  inserts: number;
  updates: number;
  deletes: number;
  startedAt?: number;
  endedAt?: number;
}

const q = (ident: string) => `"${ident.replaceAll('"', '""')}"`;
const qt = (t: TableRef) => `${q(t.schema)}.${q(t.name)}`;

async function connect(c: Conn): Promise<pg.Client> {
  const client = new pg.Client({ ...c, application_name: 'dms-stand-in' });
  await client.connect();
  return client;
}

export async function createSlot(source: Conn, slot: string): Promise<void> {
  const client = await connect(source);
  try {
    const { rows } = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (rows.length === 0)
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'test_decoding')`, [slot]);
  } finally {
    await client.end();
  }
}

export async function dropSlot(source: Conn, slot: string): Promise<void> {
  const client = await connect(source);
  try {
    await client.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
      [slot],
    );
  } finally {
    await client.end();
  }
}

/** One table: emptied on the target (a reload after a failure starts the table over), then COPY. */
export async function loadTable(source: Conn, target: Conn, table: TableRef): Promise<number> {
  const [s, t] = await Promise.all([connect(source), connect(target)]);
  try {
    await t.query(`TRUNCATE ${qt(table)}`);
    const out = s.query(copyTo(`COPY ${qt(table)} TO STDOUT`));
    const into = t.query(copyFrom(`COPY ${qt(table)} FROM STDIN`));
    await pipeline(out, into);
    return Number((into as unknown as { rowCount: number }).rowCount ?? 0);
  } finally {
    await Promise.all([s.end(), t.end()]);
  }
}

interface Change {
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  table: TableRef;
  values: { name: string; value: string | null }[];
}

/** Parses one test_decoding data line: `table s.t: INSERT: a[integer]:1 b[text]:'x'`. */
export function parseTestDecoding(line: string): Change | undefined {
  const m = /^table ([^:]+): (INSERT|UPDATE|DELETE): (.*)$/s.exec(line);
  if (!m) return undefined;
  const [schema = '', ...rest] = splitName(m[1] ?? '');
  let body = m[3] ?? '';
  // An UPDATE that changed the key carries "old-key: ... new-tuple: ..."; the new tuple is what applies.
  const nt = body.indexOf('new-tuple: ');
  if (body.startsWith('old-key: ') && nt >= 0) body = body.slice(nt + 'new-tuple: '.length);
  const values: Change['values'] = [];
  let i = 0;
  while (i < body.length) {
    while (body[i] === ' ') i++;
    if (i >= body.length) break;
    const open = body.indexOf('[', i);
    const name = unquoteIdent(body.slice(i, open));
    const close = body.indexOf(']:', open);
    i = close + 2;
    let value: string | null;
    if (body[i] === "'") {
      let v = '';
      i++;
      for (;;) {
        const c = body[i];
        if (c === undefined) break;
        if (c === "'" && body[i + 1] === "'") {
          v += "'";
          i += 2;
        } else if (c === "'") {
          i++;
          break;
        } else {
          v += c;
          i++;
        }
      }
      value = v;
    } else {
      const end = body.indexOf(' ', i);
      const raw = body.slice(i, end < 0 ? body.length : end);
      i = end < 0 ? body.length : end;
      value = raw === 'null' ? null : raw;
    }
    if (value === 'unchanged-toast-datum') continue;
    values.push({ name, value });
  }
  return { op: m[2] as Change['op'], table: { schema, name: rest.join('.') }, values };
}

function splitName(s: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      if (quoted && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === '.' && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}
const unquoteIdent = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replaceAll('""', '"') : s);

/** Applies every pending change of the slot to the target; returns the changes per table. */
export async function applyPending(
  source: Conn,
  target: Conn,
  slot: string,
  tables: TableRef[],
  progress: Map<string, TableProgress>,
): Promise<number> {
  const s = await connect(source);
  const t = await connect(target);
  try {
    const { rows } = await s.query<{ data: string }>(
      'SELECT data FROM pg_logical_slot_peek_changes($1, NULL, NULL)',
      [slot],
    );
    const keys = new Map<string, string[]>();
    const wanted = new Set(tables.map((x) => `${x.schema}.${x.name}`));
    let applied = 0;
    await t.query('BEGIN');
    for (const { data } of rows) {
      const change = parseTestDecoding(data);
      if (!change) continue;
      const id = `${change.table.schema}.${change.table.name}`;
      if (!wanted.has(id)) continue;
      let key = keys.get(id);
      if (!key) {
        key = await primaryKey(t, change.table);
        keys.set(id, key);
      }
      await applyOne(t, change, key);
      const p = progress.get(id);
      if (p) {
        if (change.op === 'INSERT') p.inserts++;
        else if (change.op === 'UPDATE') p.updates++;
        else p.deletes++;
      }
      applied++;
    }
    await t.query('COMMIT');
    // Consumed only once the target committed: a crash in between replays them (the apply is idempotent).
    if (rows.length > 0)
      await s.query('SELECT count(*) FROM pg_logical_slot_get_changes($1, NULL, $2)', [slot, rows.length]);
    return applied;
  } catch (error) {
    await t.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await Promise.all([s.end(), t.end()]);
  }
}

async function primaryKey(t: pg.Client, table: TableRef): Promise<string[]> {
  const { rows } = await t.query<{ col: string }>(
    `SELECT a.attname AS col FROM pg_constraint c
       CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(n, ord)
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
      WHERE c.conrelid = $1::regclass AND c.contype = 'p' ORDER BY k.ord`,
    [qt(table)],
  );
  return rows.map((r) => r.col);
}

async function applyOne(t: pg.Client, c: Change, key: string[]): Promise<void> {
  const cols = c.values.map((v) => q(v.name));
  const params = c.values.map((v) => v.value);
  const keyOf = (offset: number) => key.map((k, i) => `${q(k)} = $${offset + i + 1}`).join(' AND ');
  const keyValues = key.map((k) => c.values.find((v) => v.name === k)?.value ?? null);
  if (c.op === 'DELETE') {
    // Without a key DMS ignores deletes; so does the stand-in.
    if (key.length === 0) return;
    await t.query(`DELETE FROM ${qt(c.table)} WHERE ${keyOf(0)}`, keyValues);
    return;
  }
  const insert = `INSERT INTO ${qt(c.table)} (${cols.join(', ')}) VALUES (${params.map((_, i) => `$${i + 1}`).join(', ')})`;
  if (key.length === 0) {
    if (c.op === 'INSERT') await t.query(insert, params);
    return;
  }
  const set = cols
    .filter((_, i) => !key.includes(c.values[i]?.name ?? ''))
    .map((col) => `${col} = EXCLUDED.${col}`);
  await t.query(
    `${insert} ON CONFLICT (${key.map(q).join(', ')}) DO ${set.length > 0 ? `UPDATE SET ${set.join(', ')}` : 'NOTHING'}`,
    params,
  );
}

/** Seconds since the oldest commit not yet applied (CloudWatch's CDCLatencySource); 0 when caught up. */
export async function pendingLatency(source: Conn, slot: string, now: number): Promise<number> {
  const s = await connect(source);
  try {
    const { rows } = await s.query<{ data: string }>(
      `SELECT data FROM pg_logical_slot_peek_changes($1, NULL, NULL, 'include-timestamp', 'on')
        WHERE data LIKE 'COMMIT%' LIMIT 1`,
      [slot],
    );
    const at = /\(at (.+)\)$/.exec(rows[0]?.data ?? '')?.[1];
    if (!at) return 0;
    return Math.max(0, (now - Date.parse(at)) / 1000);
  } finally {
    await s.end();
  }
}
