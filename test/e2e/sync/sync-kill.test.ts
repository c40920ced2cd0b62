import { describe, expect, it } from 'vitest';
import { startForwardSync } from '../../../src/components/db/sync/sync-runner.js';
import { mulberry32 } from '../../helpers/seeded-random.js';
import {
  base,
  exited,
  expectParity,
  pair,
  spawnSync,
  started,
  useSyncPair,
  workload,
} from '../../helpers/sync-child-harness.js';
import { sql } from '../../helpers/sync-fixture.js';

// kill -9 of the syncing process at seeded random points while the source is being written. After each, a rerun must leave the
// target exactly equal to the source: nothing lost (digest) and nothing doubled (the keyless `ledger`
// table would show a replayed insert as an extra row).

useSyncPair();

describe('sync under faults', () => {
  it('survives kill -9 at 10 seeded random points: rerun gives exact parity, nothing lost or doubled', async () => {
    const appliedChanges = async () =>
      Number(
        (
          await sql(
            pair.target.url(),
            "SELECT coalesce(max(changes), 0) AS n FROM engify.sync_position WHERE stream = 'forward'",
          )
        ).rows[0]?.n ?? 0,
      );
    let killedWhileApplying = 0;
    for (let trial = 0; trial < 10; trial++) {
      const random = mulberry32(1000 + trial);
      await sql(pair.target.url(), 'CREATE SCHEMA IF NOT EXISTS engify');
      const before = await appliedChanges().catch(() => 0);
      const child = spawnSync(base());
      const exit = exited(child);
      await started(child);
      const work = workload(random, 60, trial * 1000);
      await new Promise((r) => setTimeout(r, 300 + Math.floor(random() * 700)));
      if ((await appliedChanges().catch(() => 0)) > before) killedWhileApplying++;
      child.kill('SIGKILL');
      expect((await exit).signal).toBe('SIGKILL');
      await work;
      // The rerun runs in this process (faster than a second child); what matters is the restart.
      const rerun = startForwardSync(base() as Parameters<typeof startForwardSync>[0]);
      await rerun.drain({ timeoutMs: 30_000 });
      await rerun.stop();
      await expectParity();
    }
    // The kills must land while the child was applying, not only before it got going.
    expect(killedWhileApplying).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
