import { describe, expect, it } from 'vitest';
import { startForwardSync } from '../../../src/components/db/sync/sync-runner.js';
import { startTcpProxy, type TcpProxy } from '../../../src/sandbox/tcp-proxy.js';
import { mulberry32 } from '../../helpers/seeded-random.js';
import {
  base,
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
    const child = spawnSync(base());
    const exit = exited(child);
    await started(child);
    const work = workload(mulberry32(7), 80, 50_000);
    await new Promise((r) => setTimeout(r, 300));
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
    const handle = startForwardSync({
      mode: 'logical',
      sourceUrl: toSource.through(pair.source.url()),
      targetUrl: toTarget.through(pair.target.url()),
      slot: 'slot_f',
      publication: 'pub_f',
      limits,
    });
    try {
      await waitFor(async () => handle.stats().state === 'running', 10_000, 'sync running');
      const random = mulberry32(99);
      const work = workload(random, 150, 90_000);
      let cuts = 0;
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 150 + Math.floor(random() * 200)));
        cuts += i % 2 === 0 ? toSource.cutAll() : toTarget.cutAll();
      }
      await work;
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
