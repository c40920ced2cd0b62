import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareReverseCapture } from '../../../src/components/db/sync/reverse-setup.js';
import { startForwardSync, startReverseSync } from '../../../src/components/db/sync/sync-runner.js';
import { type PostgresCluster, startPostgresCluster } from '../../../src/sandbox/postgres-cluster.js';
import { copyWithSlot, sql, tableDigest } from '../../helpers/sync-fixture.js';

// Reverse sync (target -> source) running at the same time as forward sync: replication origins keep
// each applier's writes out of the other direction's capture, so nothing loops. The keyless `ledger`
// table makes an echo visible as a doubled row.

const SCHEMA = `
  CREATE TABLE public.kv (id int PRIMARY KEY, v int NOT NULL);
  CREATE TABLE public.ledger (n bigint, origin text);
`;
const limits = { maxChanges: 200, maxDelayMs: 50 };
let source: PostgresCluster;
let target: PostgresCluster;

beforeAll(async () => {
  [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
  await sql(source.url(), SCHEMA);
  await sql(target.url(), SCHEMA);
  await sql(source.url(), 'ALTER TABLE public.ledger REPLICA IDENTITY FULL');
  await sql(target.url(), 'ALTER TABLE public.ledger REPLICA IDENTITY FULL');
  await sql(source.url(), `INSERT INTO public.kv SELECT g, g FROM generate_series(1, 20) g`);
  await copyWithSlot(source.url(), target.url(), ['public.kv', 'public.ledger'], {
    slot: 'slot_f',
    publication: 'pub_f',
  });
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

describe('reverse sync with loop prevention', () => {
  it('carries target writes to the source and never echoes forward-applied changes back', async () => {
    const forward = startForwardSync({
      mode: 'logical',
      sourceUrl: source.url(),
      targetUrl: target.url(),
      slot: 'slot_f',
      publication: 'pub_f',
      limits,
    });
    const admin = new pg.Client({ connectionString: target.url() });
    await admin.connect();
    const reverseNames = await prepareReverseCapture(admin, [
      { schema: 'public', name: 'kv' },
      { schema: 'public', name: 'ledger' },
    ]);
    await admin.end();
    expect(reverseNames.createdSlot).toBe(true);
    const reverse = startReverseSync({
      mode: 'logical',
      sourceUrl: source.url(),
      targetUrl: target.url(),
      slot: reverseNames.slot,
      publication: reverseNames.publication,
      limits,
    });
    try {
      // Source writes flow forward; target writes flow back; both at once.
      for (let i = 0; i < 30; i++) {
        await sql(source.url(), 'INSERT INTO public.ledger VALUES ($1, $2)', [i, 'source']);
        await sql(source.url(), 'UPDATE public.kv SET v = v + 1 WHERE id = $1', [1 + (i % 10)]);
        await sql(target.url(), 'INSERT INTO public.ledger VALUES ($1, $2)', [1000 + i, 'target']);
        await sql(target.url(), 'UPDATE public.kv SET v = v + 100 WHERE id = $1', [11 + (i % 10)]);
      }
      await sql(target.url(), 'DELETE FROM public.kv WHERE id = 20');
      await forward.drain({ timeoutMs: 20_000 });
      await reverse.drain({ timeoutMs: 20_000 });
      await forward.drain({ timeoutMs: 20_000 });

      const ledgerSource = await tableDigest(source.url(), 'public.ledger', 'n, origin');
      const ledgerTarget = await tableDigest(target.url(), 'public.ledger', 'n, origin');
      expect(ledgerSource.count).toBe(60); // 30 + 30, no echo doubled anything
      expect(ledgerTarget).toEqual(ledgerSource);
      expect(await tableDigest(target.url(), 'public.kv')).toEqual(
        await tableDigest(source.url(), 'public.kv'),
      );
      const gone = await sql(source.url(), 'SELECT count(*)::int AS n FROM public.kv WHERE id = 20');
      expect(gone.rows[0].n).toBe(0);
      // Each direction saw the other's applied transactions and skipped them by origin.
      expect(reverse.stats().transactionsSkipped).toBeGreaterThan(0);
      expect(forward.stats().transactionsSkipped).toBeGreaterThan(0);
      const positions = await sql(source.url(), 'SELECT stream FROM engify.sync_position');
      expect(positions.rows.map((r: { stream: string }) => r.stream)).toEqual(['reverse']);
    } finally {
      await reverse.stop();
      await forward.stop();
    }
  });
});
