import { hostname, userInfo } from 'node:os';
import type { ComponentModule } from '../core/component.js';
import { EngifyError } from '../core/errors.js';
import { messages } from '../core/messages.js';
import type { Check, Component, Step } from '../core/step.js';
import type { SyncHandle } from '../core/sync-contracts.js';
import type { FlagComponent, Mode } from '../flags/modes.js';
import { openFlagStore } from '../flags/open-store.js';
import type { FlagStore } from '../flags/store.js';
import type { EngineSession } from './session.js';
import { stepJournal } from './step-journal.js';
import { foldSteps } from './step-state.js';
import { verifyTasks } from './verifier.js';

// Moves one component's traffic between the old system and AWS through its flag, in the order the
// design asks for: verify, catch up, `draining` (the app stops writing the old side), lag 0, reverse
// capture ready, `target`. Going back drains the reverse stream first, so nothing written on AWS after
// cutover is lost. Each flip is journaled under `cutover.<component>`.

export type CutoverTo = 'target' | 'source' | 'done';

export interface CutoverOutcome {
  component: Component;
  from: Mode;
  to: Mode;
  /** What happened, in order, for the user. */
  steps: string[];
  /** What cannot be carried back for this component (shown before flipping). */
  notCarriedBack: readonly string[];
  checks: { step: string; checks: Check[] }[];
}

export interface CutoverHooks {
  log(message: string): void;
}

const DRAIN_TIMEOUT_MS = 120_000;

function operator(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
}

function moduleOf(components: readonly ComponentModule[], component: Component): ComponentModule {
  const found = components.find((c) => c.name === component);
  if (!found) throw new Error(`no component ${component} in the registry`);
  return found;
}

/** Steps whose data belongs to a component (the phase 2 and 3 ones: what cutover depends on). */
function componentSteps(module: ComponentModule): Step[] {
  return module.steps.filter((s) => s.phase >= 2);
}

/** What reverse sync does not carry back, per component (stated before a flip, and in status). */
export function notCarriedBack(
  components: readonly ComponentModule[],
  component: Component,
): readonly string[] {
  return moduleOf(components, component).notCarriedBack ?? [];
}

async function verifyComponent(session: EngineSession, module: ComponentModule, hooks: CutoverHooks) {
  const component = module.name;
  const states = foldSteps(session.journal.all());
  const steps = componentSteps(module).filter((s) => s.enabled(session.loaded.config));
  const notApplied = steps.filter((s) => states.get(s.id)?.state !== 'succeeded').map((s) => s.id);
  if (steps.length === 0 || notApplied.length > 0) {
    throw new EngifyError({
      code: 'CUTOVER_NOT_MIGRATED',
      kind: 'config',
      message: messages.cutover.notMigrated(component, notApplied),
      hint: messages.cutover.notMigratedHint,
    });
  }
  const results: { step: string; checks: Check[] }[] = [];
  for (const task of verifyTasks(session, steps)) {
    const r = await task.run({ log: hooks.log, progress: () => undefined });
    results.push({ step: r.id, checks: r.checks });
  }
  const failed = results.flatMap((r) =>
    r.checks.filter((c) => !c.ok && !c.skipped).map((c) => `${r.step}: ${c.name}`),
  );
  if (failed.length > 0) {
    throw new EngifyError({
      code: 'CUTOVER_VERIFY_FAILED',
      kind: 'system',
      message: messages.cutover.verifyFailed(component, failed),
      hint: messages.cutover.verifyFailedHint,
    });
  }
  return results;
}

/**
 * The final catch-up (forward) or drain (reverse) of a component without a change stream: one pass,
 * run while the flag says `draining`, so nothing written on the side being left is missed.
 */
async function finalPass(
  session: EngineSession,
  module: ComponentModule,
  direction: 'forward' | 'reverse',
  say: (m: string) => void,
): Promise<void> {
  const component = module.name;
  const pair = module.passes;
  if (!pair) return;
  const ctx = session.context({ id: `sync.${component}` }, { log: say });
  const r = await (direction === 'forward' ? pair.forward : pair.reverse)(ctx);
  say(
    messages.cutover.finalPass(
      component,
      direction,
      messages.cutover.passSummary(r.applied, r.deleted, r.unchanged, r.refused.length),
    ),
  );
  for (const x of r.refused) say(messages.cutover.passRefused(component, x.key, x.reason));
}

async function drainAndStop(handle: SyncHandle, hooks: CutoverHooks, what: string): Promise<void> {
  try {
    await handle.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
    const lag = await handle.lag();
    hooks.log(messages.cutover.drained(what, lag.seconds, lag.changes, lag.unit));
  } finally {
    await handle.stop();
  }
  const failure = await Promise.race([handle.done, Promise.resolve(undefined)]);
  if (failure) throw failure;
}

async function setMode(store: FlagStore, component: FlagComponent, mode: Mode): Promise<void> {
  const current = (await store.read())[component];
  if (current.mode === mode) return;
  await store.set(component, mode, current.version, operator());
}

const ALLOWED: Record<CutoverTo, Mode[]> = {
  target: ['source', 'draining'],
  source: ['target', 'draining'],
  done: ['target'],
};

/** The mode a switch component is in: journaled by its cutover, `source` until the first one. */
function switchMode(session: EngineSession, component: Component): Mode {
  const v = stepJournal(session.journal, `cutover.${component}`).outputOf(`cutover.${component}`, 'mode');
  return typeof v === 'string' && (['source', 'draining', 'target', 'done'] as string[]).includes(v)
    ? (v as Mode)
    : 'source';
}

/** What every cutover starts with: its journal and context, the outcome it reports, the order check. */
function beginCutover(
  session: EngineSession,
  module: ComponentModule,
  component: Component,
  from: Mode,
  to: CutoverTo,
  hooks: CutoverHooks,
) {
  const stepId = `cutover.${component}`;
  const journal = stepJournal(session.journal, stepId);
  const ctx = session.context({ id: stepId }, { log: hooks.log });
  const outcome: CutoverOutcome = {
    component,
    from,
    to,
    steps: [],
    notCarriedBack: module.notCarriedBack ?? [],
    checks: [],
  };
  const say = (m: string) => {
    outcome.steps.push(m);
    hooks.log(m);
  };
  if (from === to) {
    say(messages.cutover.already(component, to));
    return { already: true as const, outcome };
  }
  if (!ALLOWED[to].includes(from))
    throw new EngifyError({
      code: 'CUTOVER_ORDER',
      kind: 'config',
      message: messages.cutover.badTransition(component, from, to),
      hint: messages.cutover.badTransitionHint(component, from),
    });
  return { already: false as const, stepId, journal, ctx, outcome, say };
}

/** Cutover of a component moved by a switch (no flag, no data): verify, point, journal the mode. */
async function switchCutover(
  session: EngineSession,
  module: ComponentModule & { switch: NonNullable<ComponentModule['switch']> },
  to: CutoverTo,
  hooks: CutoverHooks,
): Promise<CutoverOutcome> {
  const component = module.name;
  const begun = beginCutover(session, module, component, switchMode(session, component), to, hooks);
  if (begun.already) return begun.outcome;
  const { stepId, journal, ctx, outcome, say } = begun;
  const from = outcome.from;
  session.journal.append({ type: 'start', stepId, operation: 'sync' });
  if (to === 'target') {
    outcome.checks = await verifyComponent(session, module, hooks);
    say(messages.cutover.verified(component));
  }
  if (to !== 'done') say(await module.switch.point(ctx, to));
  journal.output('mode', to);
  say(messages.cutover.flagged(component, to));
  session.journal.append({ type: 'success', stepId, summary: `${component}: ${from} -> ${to}` });
  return outcome;
}

export async function cutover(
  session: EngineSession,
  components: readonly ComponentModule[],
  target: Component,
  to: CutoverTo,
  hooks: CutoverHooks,
): Promise<CutoverOutcome> {
  const module = moduleOf(components, target);
  if (module.switch) return switchCutover(session, { ...module, switch: module.switch }, to, hooks);
  const component = target as FlagComponent;
  const store = await openFlagStore(session.loaded.config.flags, session.services);
  if (!(await store.exists())) {
    throw new EngifyError({
      code: 'CUTOVER_NO_FLAGS',
      kind: 'config',
      message: messages.cutover.noFlagStore,
      hint: messages.cutover.noFlagStoreHint,
    });
  }
  const begun = beginCutover(session, module, component, (await store.read())[component].mode, to, hooks);
  if (begun.already) return begun.outcome;
  const { stepId, journal, ctx, outcome, say } = begun;
  const from = outcome.from;
  const maxLag = session.loaded.config.sync.maxLagSeconds;
  const stream = module.stream;
  const flip = async (mode: Mode) => {
    await setMode(store, component, mode);
    journal.output('mode', mode);
    say(messages.cutover.flagged(component, mode));
  };
  const followUp = async (direction: 'forward' | 'reverse') => {
    if (!stream?.followUp) return;
    const moved = await stream.followUp(ctx, direction);
    say(
      messages.cutover.sequencesCarried(moved, direction === 'forward' ? 'the target' : 'the old database'),
    );
  };
  session.journal.append({ type: 'start', stepId, operation: 'sync' });

  if (to === 'target') {
    let forward: SyncHandle | undefined;
    try {
      if (stream) {
        // Catch up first, so verify compares a target that is current, and the lag bound is measured.
        forward = await stream.open(ctx, 'forward');
        await forward.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
        const lag = await forward.lag();
        say(messages.cutover.lagNow(lag.seconds, lag.changes, lag.unit));
        if (lag.seconds > maxLag) {
          throw new EngifyError({
            code: 'CUTOVER_LAG',
            kind: 'transient',
            message: messages.cutover.lagTooHigh(lag.seconds, maxLag),
            hint: messages.cutover.lagTooHighHint,
          });
        }
        // Safe while the app still writes the old side: what follows the stream only moves up.
        await followUp('forward');
      }
      outcome.checks = await verifyComponent(session, module, hooks);
      say(messages.cutover.verified(component));
      await flip('draining');
      if (stream && forward) {
        await drainAndStop(forward, hooks, 'forward');
        forward = undefined;
        await followUp('forward');
        await stream.cutover.prepareReverse(ctx, say);
      } else {
        await finalPass(session, module, 'forward', say);
      }
      await module.flip?.toTarget(ctx, say);
      await flip('target');
    } finally {
      await forward?.stop();
    }
  } else if (to === 'source') {
    await flip('draining');
    if (stream && (await stream.cutover.reverseReady(ctx))) {
      // Everything written on AWS since cutover goes back to the old side before traffic does.
      const reverse = await stream.open(ctx, 'reverse');
      await drainAndStop(reverse, hooks, 'reverse');
      say(messages.cutover.reverseDrained);
      await followUp('reverse');
    } else if (!stream) {
      await finalPass(session, module, 'reverse', say);
    }
    await module.flip?.toSource(ctx, say);
    await flip('source');
    say(messages.cutover.resumeForward);
  } else {
    if (stream) {
      const reverse = await stream.open(ctx, 'reverse');
      await drainAndStop(reverse, hooks, 'reverse');
      await stream.cutover.retire(ctx);
      say(messages.cutover.reverseStopped);
    }
    await flip('done');
  }
  session.journal.append({ type: 'success', stepId, summary: `${component}: ${from} -> ${to}` });
  return outcome;
}

/** Components whose flag is not `source`: a rollback flips these back before undoing anything else. */
export async function componentsAwayFromSource(
  session: EngineSession,
  components: readonly ComponentModule[] = [],
): Promise<Component[]> {
  const switched = components
    .filter((c) => c.switch && switchMode(session, c.name) !== 'source')
    .map((c) => c.name);
  const store = await openFlagStore(session.loaded.config.flags, session.services);
  if (!(await store.exists())) return switched;
  const state = await store.read();
  return [...(Object.keys(state) as FlagComponent[]).filter((c) => state[c].mode !== 'source'), ...switched];
}

/**
 * Before the migration itself is undone: drop what each stream component's cutover made ready for the
 * way back (only what the journal says cutover created, and only while the flag is back at `source`).
 */
export async function releaseReverseCapture(
  session: EngineSession,
  components: readonly ComponentModule[],
): Promise<number> {
  let released = 0;
  for (const module of components) {
    if (!module.stream) continue;
    released += await module.stream.cutover.release(session.context({ id: `cutover.${module.name}` }));
  }
  return released;
}
