import { describe, expect, it } from 'vitest';
import { startForwardSync } from '../../../src/components/db/sync/sync-runner.js';
import { startTcpProxy, type TcpProxy } from '../../../src/sandbox/tcp-proxy.js';
import { mulberry32 } from '../../helpers/seeded-random.js';
import {
  base,
  childEvents,
  exited,
  expectParity,
  limits,
  pair,
  spawnSync,
  started,
  useSyncPair,
  workload,
} from '../../helpers/sync-child-harness.js';
import { waitFor } from '../../helpers/sync-fixture.js';

// Faults during forward sync: SIGTERM of the syncing process, and every connection cut mid-stream by
// a proxy (kill -9 trials are in sync-kill.test.ts). After each, a rerun must leave the
// target exactly equal to the source: nothing lost (digest) and nothing doubled (the keyless `ledger`
// table would show a replayed insert as an extra row).

useSyncPair();

describe('sync under faults', () => {
  it('SIGTERM stops cleanly (exit 0) and a rerun continues', async () => {
    // Small batches: the child commits (and reports it) early, while the load is being written.
    const child = spawnSync({ ...base(), limits: { ...limits, maxChanges: 10 } });
    const exit = exited(child);
    const events = childEvents(child);
    await started(child);
    const work = workload(mulberry32(7), 80, 50_000);
    // SIGTERM once the child reports its first commit: it is then mid-stream.
    await events.nth(1);
    child.kill('SIGTERM');
    expect((await exit).code).toBe(0);
    await work;
    const result = await exited(spawnSync({ ...base(), drainAndExit: true }));
    expect(result, result.stderr).toMatchObject({ code: 0 });
    await expectParity();
  });

  it('recovers when a proxy cuts every connection to either database mid-stream', async () => {
    const toSource: TcpProxy = await startTcpProxy('127.0.0.1', pair.source.port);
    const toTarget: TcpProxy = await startTcpProxy('127.0.0.1', pair.target.port);
    // Cut at points the sync reports: right after its n-th commit on the target, n drawn (seeded)
    // a few commits apart, so each cut lands mid-stream with the load still being written.
    let commits = 0;
    const waiting: { n: number; resolve: () => void }[] = [];
    const handle = startForwardSync({
      mode: 'logical',
      sourceUrl: toSource.through(pair.source.url()),
      targetUrl: toTarget.through(pair.target.url()),
      slot: 'slot_f',
      publication: 'pub_f',
      limits: { ...limits, maxChanges: 10 },
      onApplied: () => {
        commits++;
        for (const w of waiting.filter((x) => x.n <= commits)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      },
    });
    const commit = (n: number) =>
      new Promise<void>((resolve) => (commits >= n ? resolve() : waiting.push({ n, resolve })));
    try {
      await waitFor(async () => handle.stats().state === 'running', 10_000, 'sync running');
      const random = mulberry32(99);
      const points: number[] = [];
      for (let i = 0, n = 0; i < 6; i++) {
        n += 1 + Math.floor(random() * 3);
        points.push(n);
      }
      let writing = true;
      const work = workload(random, 150, 90_000).finally(() => {
        writing = false;
      });
      let cuts = 0;
      let cutWhileWriting = 0;
      for (const [i, n] of points.entries()) {
        // A load that ends before the n-th commit leaves no later point to cut at.
        if ((await Promise.race([commit(n).then(() => true), work.then(() => false)])) === false) break;
        if (writing) cutWhileWriting++;
        cuts += i % 2 === 0 ? toSource.cutAll() : toTarget.cutAll();
      }
      await work;
      expect(cutWhileWriting).toBeGreaterThan(0);
      await handle.drain({ timeoutMs: 30_000 });
      expect(cuts).toBeGreaterThan(0);
      expect(handle.stats().reconnects).toBeGreaterThan(0);
      await expectParity();
    } finally {
      await handle.stop();
      await toSource.close();
      await toTarget.close();
    }
  });
});
