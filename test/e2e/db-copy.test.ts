import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbCopyStep } from '../../src/components/db/db-copy.js';
import { parseConfig } from '../../src/core/load-config.js';
import type { Check } from '../../src/core/step.js';
import { EngineSession } from '../../src/engine/session.js';
import { type PostgresCluster, startPostgresCluster } from '../../src/sandbox/postgres-cluster.js';
import {
  copyConfig,
  createDatabase,
  createTargetSchema,
  query,
  runSql,
  seedSource,
  writeConfig,
} from '../helpers/db-copy-fixture.js';
import { whenJournal } from '../helpers/journal-watch.js';

// db.copy against two real PostgreSQL 15 clusters: the source seeded with the Supabase-shaped fixture
// plus larger tables, the target holding only the pre-data schema (tables, types, sequences).

let source: PostgresCluster;
let target: PostgresCluster;
const ROWS = 6000;

const open = (config: Record<string, unknown>, path = writeConfig(config)) => {
  const session = new EngineSession(parseConfig(readFileSync(path, 'utf8'), path));
  const logs: string[] = [];
  return {
    session,
    logs,
    path,
    ctx: (hooks: { log?: (m: string) => void } = {}) =>
      session.context(dbCopyStep, {
        log: (m) => {
          logs.push(m);
          hooks.log?.(m);
        },
      }),
  };
};

async function applyStep(s: ReturnType<typeof open>, hooks: { log?: (m: string) => void } = {}) {
  const ctx = s.ctx(hooks);
  const changes = await dbCopyStep.plan(ctx);
  for (const change of changes) await dbCopyStep.apply(ctx, change);
  return changes;
}

const failed = (checks: Check[]) => checks.filter((c) => !c.ok);
const count = async (url: string, table: string) =>
  Number((await query<{ n: string }>(url, `SELECT count(*)::text AS n FROM ${table}`))[0]?.n);

function journalOf(path: string) {
  const file = join(path, '..', '.engify', 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { type: string; stream?: string; key?: string; value?: unknown }];
      } catch {
        return [];
      }
    });
}

beforeAll(async () => {
  [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
  seedSource(source.url(), ROWS);
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

function freshTarget(name: string): string {
  createDatabase(target.url(), name);
  createTargetSchema(target.url(name));
  return target.url(name);
}

describe('db.copy', () => {
  it('copies every table from one snapshot, builds indexes and sequences, and verifies parity', async () => {
    const targetUrl = freshTarget('full_copy');
    // Four jobs: the uuid-keyed table (not in physical order) is split for two of them.
    const s = open(copyConfig(source.url(), targetUrl, { project: 'full-copy', jobs: 4 }));
    try {
      const [change] = await applyStep(s);
      expect(change?.action).toBe('copy');
      expect(change?.warnings?.some((w) => w.includes('public.events has no primary key'))).toBe(true);
      const details = change?.details as { tables: { table: string; ranges: number; format: string }[] };
      expect(details.tables.find((t) => t.table === 'public.wide')?.ranges).toBeGreaterThan(1);
      expect(details.tables.find((t) => t.table === 'public.bots')?.format).toBe('text');

      for (const t of [
        'public.wide',
        'public.wide_items',
        'public.bots',
        'public.documents',
        'public.events',
        'public.profiles',
      ]) {
        expect(await count(targetUrl, t)).toBe(await count(source.url(), t));
      }
      const checks = await dbCopyStep.verify(s.ctx());
      expect(failed(checks)).toEqual([]);
      expect(checks.some((c) => c.name.includes('public.events (no primary key'))).toBe(true);
      expect(checks.some((c) => c.name.includes('sequence public.invoice_number_seq'))).toBe(true);

      // Post-load DDL: indexes and in-schema foreign keys on the target, sequences moved.
      const idx = await query<{ indexname: string }>(
        targetUrl,
        `SELECT indexname FROM pg_indexes WHERE tablename = 'wide'`,
      );
      expect(idx.map((r) => r.indexname).sort()).toEqual(['wide_pkey', 'wide_seen_idx']);
      const fks = await query(
        targetUrl,
        `SELECT 1 FROM pg_constraint WHERE conname = 'wide_items_wide_id_fkey'`,
      );
      expect(fks).toHaveLength(1);
      const seq = await query<{ v: string }>(
        targetUrl,
        `SELECT last_value::text AS v FROM public.wide_items_id_seq`,
      );
      expect(seq[0]?.v).toBe(String(ROWS));

      // The slot and its consistent point are recorded for sync; the slot really exists on the source.
      const slot = s.ctx().journal.outputOf('db.copy', 'slot');
      expect(slot).toBe('engify_full_copy');
      expect(String(s.ctx().journal.outputOf('db.copy', 'consistentPoint'))).toMatch(
        /^[0-9A-F]+\/[0-9A-F]+$/,
      );
      expect(
        await query(source.url(), `SELECT 1 FROM pg_replication_slots WHERE slot_name = 'engify_full_copy'`),
      ).toHaveLength(1);

      // Running the plan again has nothing to do.
      expect((await dbCopyStep.plan(s.ctx()))[0]?.action).toBe('noop');

      // Verify names the range that differs after one target row is changed.
      runSql(targetUrl, `UPDATE public.wide SET title = 'tampered' WHERE id = md5('w42')::uuid`);
      const after = failed(await dbCopyStep.verify(s.ctx()));
      expect(after).toHaveLength(1);
      expect(after[0]?.name).toBe('db.copy parity public.wide');
      expect(after[0]?.hint).toMatch(
        /range \d+ \[[^\]]*\): source \d+ row\(s\), target \d+ row\(s\), contents differ/,
      );
      expect((after[0]?.actual as { differing: string[] } | undefined)?.differing).toHaveLength(1);

      // Rollback empties only what it loaded, drops the slot and publication, and leaves the source alone.
      const before = await count(source.url(), 'public.wide');
      await dbCopyStep.rollback?.(s.ctx());
      expect(await count(targetUrl, 'public.wide')).toBe(0);
      expect(await count(source.url(), 'public.wide')).toBe(before);
      expect(
        await query(source.url(), `SELECT 1 FROM pg_replication_slots WHERE slot_name = 'engify_full_copy'`),
      ).toHaveLength(0);
      expect(
        await query(source.url(), `SELECT 1 FROM pg_publication WHERE pubname = 'engify_full_copy'`),
      ).toHaveLength(0);
    } finally {
      await s.session.close();
    }
  });

  it('refuses target tables that hold rows it did not load', async () => {
    const targetUrl = freshTarget('occupied');
    runSql(targetUrl, `INSERT INTO public.events (kind) VALUES ('already here')`);
    const s = open(copyConfig(source.url(), targetUrl, { project: 'occupied' }));
    try {
      await expect(applyStep(s)).rejects.toMatchObject({
        code: 'DB_COPY_TARGET_NOT_EMPTY',
        message: expect.stringContaining('public.events'),
      });
      expect(await count(targetUrl, 'public.wide')).toBe(0);
    } finally {
      await s.session.close();
    }
  });

  it('does not tear the snapshot when a source row changes during the copy', async () => {
    const targetUrl = freshTarget('during');
    const s = open(copyConfig(source.url(), targetUrl, { project: 'during', jobs: 1 }));
    // The highest key sits in the last range of public.wide, copied after the change below.
    const last = (
      await query<{ id: string }>(source.url(), `SELECT id::text FROM public.wide ORDER BY id DESC LIMIT 1`)
    )[0]?.id;
    const victim = `'${last}'::uuid`;
    const original = (
      await query<{ title: string }>(source.url(), `SELECT title FROM public.wide WHERE id = ${victim}`)
    )[0]?.title;
    let changed = false;
    try {
      await applyStep(s, {
        log: (m) => {
          // After the first range is in, change rows synchronously on the source (committed before the copy goes on).
          if (!changed && /range 1\//.test(m)) {
            changed = true;
            runSql(
              source.url(),
              `UPDATE public.wide SET title = 'changed during copy' WHERE id = ${victim}; INSERT INTO public.events (kind) VALUES ('during copy')`,
            );
          }
        },
      });
      expect(changed).toBe(true);
      const onTarget = (
        await query<{ title: string }>(targetUrl, `SELECT title FROM public.wide WHERE id = ${victim}`)
      )[0]?.title;
      expect(onTarget).toBe(original);
      expect(await query(targetUrl, `SELECT 1 FROM public.events WHERE kind = 'during copy'`)).toHaveLength(
        0,
      );
      // The change is after the slot's consistent point: the slot streams it.
      const changes = await query<{ n: string }>(
        source.url(),
        `SELECT count(*)::text AS n FROM pg_logical_slot_peek_binary_changes('engify_during', NULL, NULL, 'proto_version', '1', 'publication_names', 'engify_during')`,
      );
      expect(Number(changes[0]?.n)).toBeGreaterThan(0);
    } finally {
      runSql(
        source.url(),
        `UPDATE public.wide SET title = '${original?.replaceAll("'", "''")}' WHERE id = ${victim}; DELETE FROM public.events WHERE kind = 'during copy'`,
      );
      await dbCopyStep.rollback?.(s.ctx());
      await s.session.close();
    }
  });

  it('resumes after kill -9 of the copying process and ends with exactly the source rows', async () => {
    const targetUrl = freshTarget('killed');
    const config = copyConfig(source.url(), targetUrl, {
      project: 'killed',
      jobs: 1,
      splitBytes: 16 * 1024,
      maxRanges: 40,
    });
    const path = writeConfig(config);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '..', 'helpers', 'db-copy-child.ts'), path],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill the moment the third range checkpoint is journaled.
    await whenJournal(
      join(path, '..', '.engify', 'journal.jsonl'),
      (records) =>
        records.filter(
          (r) => r.type === 'checkpoint' && /^table:public\.wide(_items)?:\d+$/.test(r.stream ?? ''),
        ).length >= 3,
      { abort: exited, what: 'three range checkpoints' },
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${stderr}`);
    });
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    const records = journalOf(path);
    const total = records
      .filter((r) => r.type === 'output' && r.key?.startsWith('ranges:'))
      .reduce((n, r) => n + (r.value as unknown[]).length, 0);
    const done = records.filter(
      (r) => r.type === 'checkpoint' && /^table:[^:]+:\d+$/.test(r.stream ?? ''),
    ).length;
    expect(done).toBeLessThan(total);
    // The slot outlives the process.
    expect(
      await query(source.url(), `SELECT 1 FROM pg_replication_slots WHERE slot_name = 'engify_killed'`),
    ).toHaveLength(1);

    const s = open(config, path);
    try {
      await applyStep(s);
      expect(s.logs.some((l) => l.startsWith('resuming'))).toBe(true);
      expect(failed(await dbCopyStep.verify(s.ctx()))).toEqual([]);
      // No duplicates: the primary keys built after the load would have failed, and the key-less table counts match.
      expect(await count(targetUrl, 'public.events')).toBe(await count(source.url(), 'public.events'));
      const dup = await query(targetUrl, `SELECT id FROM public.wide_items GROUP BY id HAVING count(*) > 1`);
      expect(dup).toHaveLength(0);
    } finally {
      await dbCopyStep.rollback?.(s.ctx());
      await s.session.close();
    }
  });

  it('reports an unreachable source with its host', async () => {
    const s = open(
      copyConfig('postgres://postgres@127.0.0.1:1/none', target.url(), { project: 'unreachable' }),
    );
    try {
      await expect(dbCopyStep.plan(s.ctx())).rejects.toMatchObject({
        code: 'DB_SOURCE_UNREACHABLE',
        message: expect.stringContaining('127.0.0.1:1'),
      });
    } finally {
      await s.session.close();
    }
  });
});
