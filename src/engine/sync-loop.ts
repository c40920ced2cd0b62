import type { ComponentModule } from '../core/component.js';
import { messages } from '../core/messages.js';
import type { SyncHandle } from '../core/sync-contracts.js';
import type { ComponentSyncSample, SyncObserver } from '../core/sync-observer.js';
import type { FlagComponent } from '../flags/modes.js';
import { openFlagStore } from '../flags/open-store.js';
import { appendSyncHistory, samplesOf, writeSyncReport } from '../state/sync-status.js';
import type { EngineSession } from './session.js';
import { foldSteps } from './step-state.js';

// `engify-migrate sync`: keeps old and new in step while both are live, in the direction each
// component's flag asks for. The database follows its change stream (forward before cutover, reverse
// after); auth, files and vectors get periodic incremental passes in the same direction. Runs until stopped
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

export async function runSyncLoop(
  session: EngineSession,
  components: readonly ComponentModule[],
  hooks: SyncLoopHooks,
): Promise<SyncLoopResult> {
  const config = session.loaded.config;
  const store = await openFlagStore(config.flags, session.services);
  const modes = (await store.exists()) ? await store.read() : undefined;
  const modeOf = (c: FlagComponent) => modes?.[c]?.mode ?? 'source';
  const streams: { name: string; component: string; handle: SyncHandle; errors: number }[] = [];
  type PassEntry = {
    name: string;
    component: string;
    direction: 'forward' | 'reverse';
    run: () => Promise<string>;
    applied: number;
    perSecond: number;
  };
  const passes: PassEntry[] = [];
  const followUps: (() => Promise<unknown>)[] = [];

  for (const module of components) {
    // Only a component with a flag has a direction to keep in step.
    if (!module.notCarriedBack || (!module.stream && !module.passes)) continue;
    const component = module.name as FlagComponent;
    const mode = modeOf(component);
    const ctx = session.context({ id: `sync.${component}` }, { log: hooks.log });
    const stream = module.stream;
    if (stream && succeeded(session, stream.after) && mode !== 'done') {
      const direction = mode === 'target' ? 'reverse' : 'forward';
      const handle = await stream.open(ctx, direction);
      const entry = { name: component, component: `${component} (${direction})`, handle, errors: 0 };
      handle.onError(() => {
        entry.errors++;
      });
      streams.push(entry);
      // What the stream does not carry follows it (sequence positions), so verify holds and a cutover
      // starts from equal positions.
      const followUp = stream.followUp;
      if (followUp) followUps.push(() => followUp(ctx, direction));
    }
    const pair = module.passes;
    if (!pair || !succeeded(session, pair.after) || (mode !== 'source' && mode !== 'target')) continue;
    const direction = mode === 'source' ? 'forward' : 'reverse';
    const pass = direction === 'forward' ? pair.forward : pair.reverse;
    const entry: PassEntry = {
      name: component,
      component: `${component} (${direction})`,
      direction,
      applied: 0,
      perSecond: 0,
      run: async () => {
        const started = Date.now();
        const r = await pass(ctx);
        for (const x of r.refused) hooks.log(messages.cutover.passRefused(component, x.key, x.reason));
        entry.applied += r.applied + r.deleted;
        entry.perSecond = (r.applied + r.deleted) / Math.max(1, (Date.now() - started) / 1000);
        return messages.cutover.passSummary(r.applied, r.deleted, r.unchanged, r.refused.length);
      },
    };
    passes.push(entry);
  }
  const carrySequences = followUps.length > 0 ? () => Promise.all(followUps.map((f) => f())) : undefined;
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

  // Whoever watches sync (metrics, for one): each component that has one says so; the engine only
  // hands them the figures below.
  const observers: { name: string; observer: SyncObserver }[] = [];
  for (const module of components) {
    const observer = module.syncObserver?.(
      session.context({ id: `sync.${module.name}` }, { log: hooks.log }),
    );
    if (observer) observers.push({ name: module.name, observer });
  }

  const report = async () => {
    const out = [];
    const samples: ComponentSyncSample[] = [];
    for (const s of streams) {
      const lag = await s.handle.lag().catch(() => undefined);
      const st = s.handle.stats();
      out.push({ component: s.component, stats: st, ...(lag ? { lag } : {}) });
      samples.push({
        component: s.name,
        direction: st.direction,
        ...(lag ? { lagSeconds: lag.seconds } : {}),
        ...(lag?.unit === 'bytes' ? { lagBytes: lag.changes } : {}),
        ...(lag?.unit === 'rows' ? { lagRows: lag.changes } : {}),
        changesPerSecond: st.changesPerSecond,
        changesApplied: st.changesApplied,
        errors: s.errors,
      });
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
    for (const p of passes)
      samples.push({
        component: p.name,
        direction: p.direction,
        changesPerSecond: p.perSecond,
        changesApplied: p.applied,
        errors: 0,
      });
    for (const o of observers) o.observer.observe(samples);
    const written = {
      pid: process.pid,
      updatedAt: new Date().toISOString(),
      streams: out,
      ...(observers.length > 0
        ? { observers: Object.fromEntries(observers.map((o) => [o.name, o.observer.report()])) }
        : {}),
    };
    writeSyncReport(session.loaded.stateDir, written);
    appendSyncHistory(session.loaded.stateDir, samplesOf(written));
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
    for (const o of observers) await o.observer.close().catch(() => undefined);
    // The observers' last word (what was published or dropped), for status.
    if (observers.length > 0) await report().catch(() => undefined);
  }
  for (const f of failures) await f;
  const applied = streams.reduce((n, s) => n + s.handle.stats().changesApplied, 0);
  hooks.log(messages.cutover.syncStopped(applied));
  return { streams: streams.map((s) => s.component), changesApplied: applied };
}
