import { hostname, userInfo } from 'node:os';
import { COMPONENT_PASSES } from '../components/component-passes.js';
import { publicationTables } from '../components/db/sync/catalog.js';
import { dbCopyOutputs, openDbSync } from '../components/db/sync/db-sync.js';
import { dropReverseCapture, prepareReverseCapture } from '../components/db/sync/reverse-setup.js';
import { carrySequencePositions } from '../components/db/sync/sequence-positions.js';
import { checklist } from '../components/registry.js';
import { EngifyError } from '../core/errors.js';
import { messages } from '../core/messages.js';
import type { Check, Step } from '../core/step.js';
import type { SyncHandle } from '../core/sync-contracts.js';
import type { FlagComponent, Mode } from '../flags/modes.js';
import { openFlagStore } from '../flags/open-store.js';
import type { FlagStore } from '../flags/store.js';
import type { EngineSession } from './session.js';
import { stepJournal } from './step-journal.js';
import { foldSteps, isApplied } from './step-state.js';
import { verifyTasks } from './verifier.js';

// Moves one component's traffic between the old system and AWS through its flag, in the order the
// design asks for: verify, catch up, `draining` (the app stops writing the old side), lag 0, reverse
// capture ready, `target`. Going back drains the reverse stream first, so nothing written on AWS after
// cutover is lost. Each flip is journaled under `cutover.<component>`.

export type CutoverTo = 'target' | 'source' | 'done';

export interface CutoverOutcome {
  component: FlagComponent;
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

/** Steps whose data belongs to a component (the phase 2 and 3 ones: what cutover depends on). */
function componentSteps(component: FlagComponent): Step[] {
  return checklist.filter((s) => s.component === component && s.phase >= 2);
}

/** What reverse sync does not carry back, per component (stated before a flip, and in status). */
export function notCarriedBack(component: FlagComponent): readonly string[] {
  switch (component) {
    case 'db':
      return messages.cutover.dbNotCarried;
    case 'auth':
      return messages.cutover.authNotCarried;
    case 'vectors':
      return messages.cutover.vectorsNotCarried;
    case 'files':
      return messages.cutover.filesNotCarried;
    case 'hosting':
      return messages.cutover.hostingNotCarried;
  }
}

async function verifyComponent(session: EngineSession, component: FlagComponent, hooks: CutoverHooks) {
  const states = foldSteps(session.journal.all());
  const steps = componentSteps(component).filter((s) => s.enabled(session.loaded.config));
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
  component: FlagComponent,
  direction: 'forward' | 'reverse',
  say: (m: string) => void,
): Promise<void> {
  const pair = COMPONENT_PASSES[component];
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

/** Moves sequences on the side about to take writes up to the other side's positions. */
async function carrySequences(
  session: EngineSession,
  direction: 'forward' | 'reverse',
  say: (m: string) => void,
) {
  const config = session.loaded.config;
  const rds = config.target.rds;
  const sourceUrl = config.source.supabase?.dbUrl;
  if (rds?.mode !== 'pg' || !sourceUrl) return;
  const source = await session.services.pg(sourceUrl);
  const target = await session.services.pg(rds.url);
  try {
    const schemas = config.source.supabase?.schemas ?? ['public'];
    const moved =
      direction === 'forward'
        ? await carrySequencePositions(source, target, schemas)
        : await carrySequencePositions(target, source, schemas);
    say(
      messages.cutover.sequencesCarried(moved, direction === 'forward' ? 'the target' : 'the old database'),
    );
  } finally {
    await source.end();
    await target.end();
  }
}

/** False when a cutover stopped before reverse capture was set up (the target took no traffic yet). */
async function reverseSlotExists(session: EngineSession): Promise<boolean> {
  const rds = session.loaded.config.target.rds;
  if (rds?.mode !== 'pg') return false;
  const target = await session.services.pg(rds.url);
  try {
    const r = await target.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
      session.loaded.config.sync.reverseSlot,
    ]);
    return (r.rowCount ?? 0) > 0;
  } finally {
    await target.end();
  }
}

async function setMode(store: FlagStore, component: FlagComponent, mode: Mode): Promise<void> {
  const current = (await store.read())[component];
  if (current.mode === mode) return;
  await store.set(component, mode, current.version, operator());
}

export async function cutover(
  session: EngineSession,
  component: FlagComponent,
  to: CutoverTo,
  hooks: CutoverHooks,
): Promise<CutoverOutcome> {
  const store = await openFlagStore(session.loaded.config.flags, session.services);
  if (!(await store.exists())) {
    throw new EngifyError({
      code: 'CUTOVER_NO_FLAGS',
      kind: 'config',
      message: messages.cutover.noFlagStore,
      hint: messages.cutover.noFlagStoreHint,
    });
  }
  const from = (await store.read())[component].mode;
  const stepId = `cutover.${component}`;
  const journal = stepJournal(session.journal, stepId);
  const outcome: CutoverOutcome = {
    component,
    from,
    to,
    steps: [],
    notCarriedBack: notCarriedBack(component),
    checks: [],
  };
  const say = (m: string) => {
    outcome.steps.push(m);
    hooks.log(m);
  };
  if (from === to) {
    say(messages.cutover.already(component, to));
    return outcome;
  }
  const allowed: Record<CutoverTo, Mode[]> = {
    target: ['source', 'draining'],
    source: ['target', 'draining'],
    done: ['target'],
  };
  if (!allowed[to].includes(from)) {
    throw new EngifyError({
      code: 'CUTOVER_ORDER',
      kind: 'config',
      message: messages.cutover.badTransition(component, from, to),
      hint: messages.cutover.badTransitionHint(component, from),
    });
  }
  const config = session.loaded.config;
  const maxLag = config.sync.maxLagSeconds;
  session.journal.append({ type: 'start', stepId, operation: 'sync' });

  if (to === 'target') {
    let forward: SyncHandle | undefined;
    try {
      if (component === 'db') {
        // Catch up first, so verify compares a target that is current, and the lag bound is measured.
        forward = await openDbSync(session, 'forward', hooks.log);
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
        // Safe while the app still writes the old side: the target's sequences only move up.
        await carrySequences(session, 'forward', say);
      }
      outcome.checks = await verifyComponent(session, component, hooks);
      say(messages.cutover.verified(component));
      await setMode(store, component, 'draining');
      journal.output('mode', 'draining');
      say(messages.cutover.flagged(component, 'draining'));
      if (component === 'db' && forward) {
        await drainAndStop(forward, hooks, 'forward');
        forward = undefined;
        await carrySequences(session, 'forward', say);
        const source = await session.services.pg(config.source.supabase?.dbUrl ?? '');
        const target = await session.services.pg(
          config.target.rds?.mode === 'pg' ? config.target.rds.url : '',
        );
        try {
          const publication = dbCopyOutputs(session).publication;
          const tables = publication ? await publicationTables(source, publication) : [];
          const reverse = await prepareReverseCapture(target, tables, {
            slot: config.sync.reverseSlot,
            publication: config.sync.reversePublication,
          });
          if (reverse.createdSlot) journal.created({ kind: 'pg-replication-slot', name: reverse.slot });
          if (reverse.createdPublication)
            journal.created({ kind: 'pg-publication', name: reverse.publication });
          say(messages.cutover.reverseReady(reverse.slot, tables.length));
        } finally {
          await source.end();
          await target.end();
        }
      } else {
        await finalPass(session, component, 'forward', say);
      }
      await setMode(store, component, 'target');
      journal.output('mode', 'target');
      say(messages.cutover.flagged(component, 'target'));
    } finally {
      await forward?.stop();
    }
  } else if (to === 'source') {
    await setMode(store, component, 'draining');
    journal.output('mode', 'draining');
    say(messages.cutover.flagged(component, 'draining'));
    if (component === 'db' && (await reverseSlotExists(session))) {
      // Everything written on AWS since cutover goes back to the old database before traffic does.
      const reverse = await openDbSync(session, 'reverse', hooks.log);
      await drainAndStop(reverse, hooks, 'reverse');
      say(messages.cutover.reverseDrained);
      await carrySequences(session, 'reverse', say);
    } else {
      await finalPass(session, component, 'reverse', say);
    }
    await setMode(store, component, 'source');
    journal.output('mode', 'source');
    say(messages.cutover.flagged(component, 'source'));
    say(messages.cutover.resumeForward);
  } else {
    if (component === 'db') {
      const reverse = await openDbSync(session, 'reverse', hooks.log);
      await drainAndStop(reverse, hooks, 'reverse');
      const target = await session.services.pg(config.target.rds?.mode === 'pg' ? config.target.rds.url : '');
      try {
        await dropReverseCapture(target, {
          slot: config.sync.reverseSlot,
          publication: config.sync.reversePublication,
        });
      } finally {
        await target.end();
      }
      for (const r of journal.createdResources()) journal.undone({ resource: r });
      say(messages.cutover.reverseStopped);
    }
    await setMode(store, component, 'done');
    journal.output('mode', 'done');
    say(messages.cutover.flagged(component, 'done'));
  }
  session.journal.append({ type: 'success', stepId, summary: `${component}: ${from} -> ${to}` });
  return outcome;
}

/** Components whose flag is not `source`: a rollback flips these back before undoing anything else. */
export async function componentsAwayFromSource(session: EngineSession): Promise<FlagComponent[]> {
  const store = await openFlagStore(session.loaded.config.flags, session.services);
  if (!(await store.exists())) return [];
  const state = await store.read();
  return (Object.keys(state) as FlagComponent[]).filter((c) => state[c].mode !== 'source');
}

export function hasAppliedData(session: EngineSession, component: FlagComponent): boolean {
  const states = foldSteps(session.journal.all());
  return componentSteps(component).some((s) => isApplied(states.get(s.id)?.state));
}

/**
 * Before the migration itself is undone: drop the reverse capture a db cutover set up on the target
 * (its slot would keep the target database from being dropped, and retains WAL). Only what the journal
 * says cutover created, and only while the db flag is back at `source`.
 */
export async function releaseReverseCapture(session: EngineSession): Promise<number> {
  const journal = stepJournal(session.journal, 'cutover.db');
  const created = journal.createdResources();
  const rds = session.loaded.config.target.rds;
  if (created.length === 0 || rds?.mode !== 'pg') return 0;
  const target = await session.services.pg(rds.url);
  try {
    const slot = created.find((r) => r.kind === 'pg-replication-slot')?.name;
    const publication = created.find((r) => r.kind === 'pg-publication')?.name;
    await dropReverseCapture(target, {
      slot: slot ?? session.loaded.config.sync.reverseSlot,
      publication: publication ?? session.loaded.config.sync.reversePublication,
    });
  } finally {
    await target.end();
  }
  for (const r of created) journal.undone({ resource: r });
  return created.length;
}
