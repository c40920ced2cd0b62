import type { FlagComponent } from '../flags/modes.js';
import { openFlagStore } from '../flags/open-store.js';
import { readLayout } from '../plans/vectors-layout.js';
import { writeSyncReport } from '../state/sync-status.js';
import { carrySequencePositions } from '../sync/sequence-positions.js';
import type { SyncHandle } from '../sync/types.js';
import { vectorsIncrementalPass } from '../sync/vectors-incremental.js';
import { messages } from '../ui/messages.js';
import { openDbSync } from './db-sync.js';
import type { EngineSession } from './session.js';
import { foldSteps } from './step-state.js';

// `engify-migrate sync`: keeps old and new in step while both are live, in the direction each
// component's flag asks for. The database follows its change stream (forward before cutover, reverse
// after); vectors get periodic incremental passes (watermark or content hash). Runs until stopped
// (SIGINT/SIGTERM stop it cleanly: the current target transaction commits, the source is acknowledged),
// or with `once` until everything committed so far is applied.

export interface SyncLoopHooks {
  log(message: string): void;
  signal: AbortSignal;
  once: boolean;
}

export interface SyncLoopResult {
  streams: string[];
  changesApplied: number;
}

const succeeded = (session: EngineSession, stepId: string) =>
  foldSteps(session.journal.all()).get(stepId)?.state === 'succeeded';

export async function runSyncLoop(session: EngineSession, hooks: SyncLoopHooks): Promise<SyncLoopResult> {
  const config = session.loaded.config;
  const store = await openFlagStore(config.flags, session.services);
  const modes = (await store.exists()) ? await store.read() : undefined;
  const modeOf = (c: FlagComponent) => modes?.[c].mode ?? 'source';
  const streams: { component: string; handle: SyncHandle }[] = [];
  const passes: { component: string; run: () => Promise<string> }[] = [];

  let carrySequences: (() => Promise<void>) | undefined;
  if (succeeded(session, 'db.copy') && modeOf('db') !== 'done') {
    const direction = modeOf('db') === 'target' ? 'reverse' : 'forward';
    streams.push({ component: `db (${direction})`, handle: await openDbSync(session, direction, hooks.log) });
    // Rows come over by the stream, sequence positions do not: the side the app does not write follows
    // the other's positions, so verify holds and a cutover starts from equal sequences.
    const sourceUrl = config.source.supabase?.dbUrl;
    const rds = config.target.rds;
    if (sourceUrl && rds?.mode === 'pg') {
      carrySequences = async () => {
        const source = await session.services.pg(sourceUrl);
        const target = await session.services.pg(rds.url);
        try {
          const schemas = config.source.supabase?.schemas ?? ['public'];
          if (direction === 'forward') await carrySequencePositions(source, target, schemas);
          else await carrySequencePositions(target, source, schemas);
        } finally {
          await source.end();
          await target.end();
        }
      };
    }
  }
  if (succeeded(session, 'vectors.copy') && modeOf('vectors') === 'source') {
    const ctx = session.context({ id: 'vectors.sync' }, { log: hooks.log });
    const watermarks = new Map<string, number | undefined>();
    for (const r of ctx.journal.records()) {
      if (r.type === 'output' && r.key.startsWith('watermark:') && typeof r.value === 'number') {
        watermarks.set(r.key.slice('watermark:'.length), r.value);
      }
    }
    passes.push({
      component: 'vectors',
      run: async () => {
        const read = await readLayout(ctx, 'vectors.sync');
        let upserted = 0;
        let deleted = 0;
        for (const c of read?.layout.collections ?? []) {
          const r = await vectorsIncrementalPass(ctx, {
            collection: c.name,
            watermark: watermarks.get(c.name),
          });
          upserted += r.upserted;
          deleted += r.deleted;
          if (r.watermark !== undefined && r.watermark !== watermarks.get(c.name)) {
            watermarks.set(c.name, r.watermark);
            ctx.journal.output(`watermark:${c.name}`, r.watermark);
          }
        }
        return `${upserted} upserted, ${deleted} deleted`;
      },
    });
  }
  if (streams.length === 0 && passes.length === 0) {
    hooks.log(messages.cutover.syncNothing);
    return { streams: [], changesApplied: 0 };
  }
  hooks.log(
    messages.cutover.syncStarting([
      ...streams.map((s) => s.component),
      ...passes.map((p) => `${p.component} (passes)`),
    ]),
  );

  const report = async () => {
    const out = [];
    for (const s of streams) {
      const lag = await s.handle.lag().catch(() => undefined);
      out.push({ component: s.component, stats: s.handle.stats(), ...(lag ? { lag } : {}) });
      if (lag) {
        const st = s.handle.stats();
        hooks.log(
          messages.cutover.syncLine(
            s.component,
            lag.seconds,
            lag.changes,
            lag.unit,
            st.changesPerSecond,
            st.changesApplied,
          ),
        );
      }
    }
    writeSyncReport(session.loaded.stateDir, {
      pid: process.pid,
      updatedAt: new Date().toISOString(),
      streams: out,
    });
  };

  const failures = streams.map((s) =>
    s.handle.done.then((e) => {
      if (e) throw e;
    }),
  );
  try {
    if (hooks.once) {
      for (const s of streams) await s.handle.drain({ timeoutMs: 300_000 });
      await carrySequences?.();
      for (const p of passes) hooks.log(messages.cutover.passApplied(p.component, await p.run()));
      await report();
      hooks.log(messages.cutover.syncCaughtUp);
    } else {
      let nextPass = 0;
      let nextSequences = 0;
      while (!hooks.signal.aborted) {
        if (Date.now() >= nextPass) {
          for (const p of passes) hooks.log(messages.cutover.passApplied(p.component, await p.run()));
          nextPass = Date.now() + config.sync.pollSeconds * 1000;
        }
        if (carrySequences && Date.now() >= nextSequences) {
          await carrySequences();
          nextSequences = Date.now() + 10_000;
        }
        await report();
        await Promise.race([
          new Promise((r) => setTimeout(r, 1000)),
          new Promise((r) => hooks.signal.addEventListener('abort', r, { once: true })),
          ...failures,
        ]);
      }
    }
  } finally {
    for (const s of streams) await s.handle.stop();
    await report().catch(() => undefined);
  }
  for (const f of failures) await f;
  const applied = streams.reduce((n, s) => n + s.handle.stats().changesApplied, 0);
  hooks.log(messages.cutover.syncStopped(applied));
  return { streams: streams.map((s) => s.component), changesApplied: applied };
}
