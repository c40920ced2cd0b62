import { describe, expect, it } from 'vitest';
import { startForwardSync } from '../../../src/components/db/sync/sync-runner.js';
import { mulberry32 } from '../../helpers/seeded-random.js';
import {
  base,
  childEvents,
  exited,
  expectParity,
  pair,
  spawnSync,
  started,
  useSyncPair,
  workload,
} from '../../helpers/sync-child-harness.js';
import { sql, waitFor } from '../../helpers/sync-fixture.js';

// kill -9 of the syncing process at seeded random points (the k-th commit it reports) while the source is being written. After each, a rerun must leave the
// target exactly equal to the source: nothing lost (digest) and nothing doubled (the keyless `ledger`
// table would show a replayed insert as an extra row).

useSyncPair();

describe('sync under faults', () => {
  it('survives kill -9 at 10 seeded random points: rerun gives exact parity, nothing lost or doubled', async () => {
    const ledgerRows = async (url: string) =>
      Number((await sql(url, 'SELECT count(*)::int AS n FROM public.ledger')).rows[0]?.n ?? 0);
    // Small batches, so the child reports many commits to choose a kill point from (about a dozen per trial).
    const options = { ...base(), limits: { maxChanges: 10, maxDelayMs: 50 } };
    let killedBehind = 0;
    for (let trial = 0; trial < 10; trial++) {
      const random = mulberry32(1000 + trial);
      // Where the kill lands: right after the k-th commit the child reports, k seeded.
      const k = 1 + Math.floor(random() * 10);
      const child = spawnSync(options);
      const exit = exited(child);
      const events = childEvents(child);
      await started(child);
      const work = workload(random, 60, trial * 1000);
      // If the child commits fewer than k times, kill it once it has caught up (a point it reached, too).
      const caughtUp = work.then(() =>
        waitFor(
          async () => (await ledgerRows(pair.target.url())) === (await ledgerRows(pair.source.url())),
          30_000,
          'the child to catch up',
        ),
      );
      await Promise.race([events.nth(k), caughtUp]);
      child.kill('SIGKILL');
      expect((await exit).signal).toBe('SIGKILL');
      await work;
      if ((await ledgerRows(pair.target.url())) < (await ledgerRows(pair.source.url()))) killedBehind++;
      // The rerun runs in this process (faster than a second child); what matters is the restart.
      const rerun = startForwardSync(options as Parameters<typeof startForwardSync>[0]);
      await rerun.drain({ timeoutMs: 30_000 });
      await rerun.stop();
      await expectParity();
    }
    // The kills must land while the child still had changes to apply, not only once it was idle.
    expect(killedBehind).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
