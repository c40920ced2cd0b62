import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCopy, storedRanges } from '../../src/components/db/db-copy-run.js';
import { verifyDatabase } from '../../src/components/db/db-copy-verify.js';
import type { SqlExecutor, SqlParam } from '../../src/core/sql-executor.js';
import { stepJournal } from '../../src/engine/step-journal.js';
import { applyPostLoadDdl, readPostLoadDdl } from '../../src/providers/postgres/load/post-load.js';
import { createPgExecutor } from '../../src/providers/postgres/pg-executor.js';
import { type PostgresCluster, startPostgresCluster } from '../../src/sandbox/postgres-cluster.js';
import { Journal } from '../../src/state/journal.js';
import { createDatabase, createTargetSchema, query, seedSource } from '../helpers/db-copy-fixture.js';

// The Data API's load path (no COPY): text rows from the snapshot, batched parameterised INSERTs through
// the SqlExecutor contract, cut by the transport's request-size limit. Driven here by a pg executor that
// declares copy: false and a small request limit, against real PostgreSQL 15 clusters.

let source: PostgresCluster;
let target: PostgresCluster;

beforeAll(async () => {
  [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
  seedSource(source.url(), 1500);
  createDatabase(target.url(), 'insert_path');
  createTargetSchema(target.url('insert_path'));
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

const connect = async (url: string, replication = false) => {
  const client = new pg.Client({
    connectionString: url,
    ...(replication ? { replication: 'database' } : {}),
  });
  await client.connect();
  return client;
};

/** A target as the Data API presents it (no COPY, a request-size limit), over the project's pg executor. */
async function dataApiLike(url: string, maxRequestBytes: number): Promise<SqlExecutor> {
  const inner = await createPgExecutor({ connect: () => connect(url), copy: false });
  return { ...inner, capabilities: { ...inner.capabilities, copy: false, maxRequestBytes } };
}

/** Counts the requests and parameter sets that reach the executor, to prove batching and the byte limit. */
function recording(inner: SqlExecutor, seen: { batches: number[] }): SqlExecutor {
  const wrap = (tx: Omit<SqlExecutor, 'transaction' | 'close'>) => ({
    ...tx,
    batch: (sql: string, sets: SqlParam[][]) => {
      seen.batches.push(sets.length);
      return tx.batch(sql, sets);
    },
  });
  return {
    ...inner,
    ...wrap(inner),
    transaction: (work) => inner.transaction((tx) => work(wrap(tx))),
    close: () => inner.close(),
  };
}

describe('db.copy INSERT path (rds data-api mode)', () => {
  it('loads every table with batched INSERTs and verifies parity', async () => {
    const targetUrl = target.url('insert_path');
    const journal = new Journal(
      join(mkdtempSync(join(tmpdir(), 'engify-insert-')), 'journal.jsonl'),
      'run-1',
    );
    const sj = stepJournal(journal, 'db.copy');
    const seen = { batches: [] as number[] };
    const LIMIT = 64 * 1024;
    const control = await dataApiLike(targetUrl, LIMIT);
    try {
      const result = await runCopy({
        stepId: 'db.copy',
        connectSource: (o) => connect(source.url(), o?.replication),
        target: {
          kind: 'insert',
          open: async () => recording(await dataApiLike(targetUrl, LIMIT), seen),
        },
        targetExecutor: control,
        openExecutor: () => dataApiLike(targetUrl, LIMIT),
        schemas: ['public'],
        jobs: 2,
        split: { splitBytes: 64 * 1024, maxRanges: 4, jobs: 2 },
        insertBatchRows: 200,
        slotName: 'engify_insert_path',
        publication: 'engify_insert_path',
        journal: sj,
        force: false,
        signal: new AbortController().signal,
        log: () => undefined,
        progress: () => undefined,
        postLoad: async (src, targets) => {
          if (!src) throw new Error('a PostgreSQL source has a connection');
          return (await applyPostLoadDdl(targets, await readPostLoadDdl(src, ['public']))).length;
        },
      });
      expect(result.rows).toBeGreaterThan(3000);
      expect(Math.max(...seen.batches)).toBeLessThanOrEqual(200);
      // wide rows are ~0.5 KB of values: the 64 KiB request budget cuts batches well below 200 rows.
      expect(seen.batches.some((n) => n < 200 && n > 1)).toBe(true);

      const checks = await verifyDatabase({
        connectSource: () => connect(source.url()),
        target: control,
        schemas: ['public'],
        rangesFor: (t) => storedRanges(sj, 'db.copy', t),
      });
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.length).toBeGreaterThan(8);
      // Identity ALWAYS (bots.id) kept its source values; the generated column was recomputed alike.
      const ids = await query<{ id: string; slug: string }>(
        targetUrl,
        'SELECT id::text, slug FROM public.bots ORDER BY id',
      );
      const srcIds = await query<{ id: string; slug: string }>(
        source.url(),
        'SELECT id::text, slug FROM public.bots ORDER BY id',
      );
      expect(ids).toEqual(srcIds);
    } finally {
      await control.close();
      journal.close();
      await query(source.url(), `SELECT pg_drop_replication_slot('engify_insert_path')`);
    }
  });
});
