import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseCaptureMode } from '../../../src/components/db/sync/from-config.js';
import { startForwardSync } from '../../../src/components/db/sync/sync-runner.js';
import type { SyncHandle } from '../../../src/core/sync-contracts.js';
import { type PostgresCluster, startPostgresCluster } from '../../../src/sandbox/postgres-cluster.js';
import { copyWithSlot, sql, tableDigest } from '../../helpers/sync-fixture.js';

// Forward sync by logical decoding between two real PostgreSQL 15 clusters.

const SCHEMA = `
  CREATE TABLE public.items (id bigint PRIMARY KEY, name text NOT NULL, price numeric(12,4), tags text[],
    meta jsonb, doc json, at timestamptz, raw bytea, big text, score double precision);
  CREATE TABLE public.parents (id int PRIMARY KEY, label text);
  CREATE TABLE public.children (id int PRIMARY KEY, parent_id int REFERENCES public.parents(id) DEFERRABLE INITIALLY DEFERRED, n int);
  CREATE TABLE public.events (kind text, payload text);
  CREATE TABLE public.nokey (a int, b text);
`;

let source: PostgresCluster;
let target: PostgresCluster;
const limits = { maxChanges: 500, maxDelayMs: 100 };

beforeAll(async () => {
  [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
  await sql(source.url(), SCHEMA);
  await sql(target.url(), SCHEMA);
  await sql(source.url(), 'ALTER TABLE public.events REPLICA IDENTITY FULL');
  await sql(
    source.url(),
    `INSERT INTO public.items (id, name, price) SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 50) g`,
  );
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

describe('forward logical sync', () => {
  let handle: SyncHandle;

  it('refuses a published table without a primary key unless REPLICA IDENTITY FULL', async () => {
    await sql(source.url(), 'CREATE PUBLICATION pub_nokey FOR TABLE public.nokey');
    await sql(source.url(), "SELECT pg_create_logical_replication_slot('slot_nokey', 'pgoutput')");
    const h = startForwardSync({
      mode: 'logical',
      sourceUrl: source.url(),
      targetUrl: target.url(),
      slot: 'slot_nokey',
      publication: 'pub_nokey',
      stream: 'nokey',
      limits,
    });
    const error = await h.done;
    expect(error).toMatchObject({ code: 'SYNC_NO_PRIMARY_KEY' });
    expect(error?.message).toContain('"public"."nokey"');
    expect((error as { hint?: string }).hint).toContain('REPLICA IDENTITY FULL');
    await sql(source.url(), "SELECT pg_drop_replication_slot('slot_nokey')");
  });

  it('copies under the slot snapshot, then streams inserts, updates, deletes and truncates exactly', async () => {
    const setup = await copyWithSlot(
      source.url(),
      target.url(),
      ['public.items', 'public.parents', 'public.children', 'public.events'],
      { slot: 'slot_fwd', publication: 'pub_fwd' },
    );
    // Written after the snapshot, before sync starts: must arrive exactly once.
    await sql(source.url(), `UPDATE public.items SET name = 'early' WHERE id = 1`);
    handle = startForwardSync({
      mode: 'logical',
      sourceUrl: source.url(),
      targetUrl: target.url(),
      slot: setup.slot,
      publication: setup.publication,
      limits,
    });
    const big = 'x'.repeat(300_000); // TOASTed: later updates send it as "unchanged"
    await sql(
      source.url(),
      `INSERT INTO public.items (id, name, price, tags, meta, doc, at, raw, big, score)
       VALUES (100, 'it''s "quoted"', 12.3456, ARRAY['a','b c','{d}'], '{"k":[1,2,{"z":null}]}', '{ "spaced" : 1 }',
               '2024-02-29 12:34:56.123456+00', '\\x00ff10', $1, 0.1)`,
      [big],
    );
    await sql(source.url(), `UPDATE public.items SET price = price + 1 WHERE id = 100`);
    await sql(
      source.url(),
      `BEGIN; INSERT INTO public.children VALUES (1, 1, 10); INSERT INTO public.parents VALUES (1, 'p'); COMMIT;`,
    );
    await sql(source.url(), `DELETE FROM public.items WHERE id BETWEEN 2 AND 10`);
    await sql(source.url(), `UPDATE public.items SET id = 1000 WHERE id = 11`);
    await sql(source.url(), `INSERT INTO public.events VALUES ('a', '1'), ('a', '1'), ('b', '2')`);
    await sql(
      source.url(),
      `DELETE FROM public.events WHERE ctid = (SELECT min(ctid) FROM public.events WHERE kind = 'a')`,
    );
    await sql(source.url(), `UPDATE public.events SET payload = '3' WHERE kind = 'b'`);
    await sql(
      source.url(),
      `INSERT INTO public.items (id, name) SELECT g, 'bulk' FROM generate_series(2000, 3999) g`,
    );
    await sql(source.url(), `UPDATE public.items SET name = name || '!' WHERE id BETWEEN 2000 AND 2500`);
    await handle.drain({ timeoutMs: 20_000 });
    for (const table of ['public.items', 'public.parents', 'public.children']) {
      expect(await tableDigest(target.url(), table)).toEqual(await tableDigest(source.url(), table));
    }
    expect(await tableDigest(target.url(), 'public.events', 'kind, payload')).toEqual(
      await tableDigest(source.url(), 'public.events', 'kind, payload'),
    );
    const early = await sql(target.url(), 'SELECT name FROM public.items WHERE id = 1');
    expect(early.rows[0].name).toBe('early');
    const bigRow = await sql(
      target.url(),
      'SELECT length(big) AS n, price::text AS p FROM public.items WHERE id = 100',
    );
    expect(bigRow.rows[0]).toEqual({ n: 300_000, p: '13.3456' });

    await sql(source.url(), 'TRUNCATE public.children');
    await handle.drain({ timeoutMs: 20_000 });
    expect((await tableDigest(target.url(), 'public.children')).count).toBe(0);

    const lag = await handle.lag();
    expect(lag.seconds).toBe(0);
    expect(lag.unit).toBe('bytes');
    const stats = handle.stats();
    expect(stats.changesApplied).toBeGreaterThan(2500);
    expect(stats.targetCommits).toBeLessThan(stats.transactionsApplied);
  });

  it('stops with a clear message when the source schema changes, and resumes after the target is fixed', async () => {
    await sql(source.url(), 'ALTER TABLE public.parents ADD COLUMN extra int');
    await sql(source.url(), `INSERT INTO public.parents VALUES (2, 'after ddl', 7)`);
    const error = await handle.done;
    expect(error).toMatchObject({ code: 'SYNC_SCHEMA_CHANGED' });
    expect(error?.message).toContain('"public"."parents"');
    expect(error?.message).toContain('column extra only on the source');
    expect((error as { hint?: string }).hint).toContain('engify-migrate apply --phase 1');
    expect(handle.stats().state).toBe('failed');

    await sql(target.url(), 'ALTER TABLE public.parents ADD COLUMN extra int');
    handle = startForwardSync({
      mode: 'logical',
      sourceUrl: source.url(),
      targetUrl: target.url(),
      slot: 'slot_fwd',
      publication: 'pub_fwd',
      limits,
    });
    await handle.drain({ timeoutMs: 20_000 });
    expect(await tableDigest(target.url(), 'public.parents')).toEqual(
      await tableDigest(source.url(), 'public.parents'),
    );
    await handle.stop();
    expect(handle.stats().state).toBe('stopped');
    // With sync stopped, new source writes show up as lag in WAL bytes behind the slot.
    await sql(source.url(), `INSERT INTO public.parents VALUES (3, 'while stopped', 1)`);
    const lag = await handle.lag();
    expect(lag.changes).toBeGreaterThan(0);
    expect(lag.appliedPosition).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  });

  it('auto mode picks logical decoding only when the server and user allow it', async () => {
    expect(await chooseCaptureMode(source.url(), 'auto', { slot: 'slot_fwd' })).toBe('logical');
    expect(await chooseCaptureMode(source.url(), 'auto', {})).toBe('trigger');
    await sql(source.url(), 'CREATE ROLE plain LOGIN');
    const plain = source.url().replace('postgres@', 'plain@');
    const logged: string[] = [];
    expect(await chooseCaptureMode(plain, 'auto', { slot: 'slot_fwd' }, (m) => logged.push(m))).toBe(
      'trigger',
    );
    expect(logged[0]).toContain('no REPLICATION privilege');
    expect(await chooseCaptureMode(plain, 'logical', { slot: 'slot_fwd' })).toBe('logical');
  });
});
