import { hostname, userInfo } from 'node:os';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { FLAG_COMPONENTS } from '../../flags/modes.js';
import { openFlagStore } from '../../flags/open-store.js';

const KIND = 'flag-store';

export function operator(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
}

const store = (ctx: StepContext) => openFlagStore(ctx.config.flags, ctx.services);

/** `create` the store (none was there), or `use` the one plan found, adopting it when a run of ours made it. */
type StoreAction = PlannedAction<'store', { kind: 'create' } | { kind: 'use'; adopt: boolean }>;

export const flagsStore: Step<StoreAction> = {
  id: 'flags.store',
  phase: 1,
  component: 'flags',
  title: 'feature-flag store the app reads',
  dependsOn: [],
  enabled: () => true,

  async plan(ctx) {
    const s = await store(ctx);
    if (!(await s.exists())) {
      return [
        {
          action: 'create',
          resource: s.location,
          subject: 'store',
          summary: `create with ${FLAG_COMPONENTS.join(', ')} in mode source`,
          details: { kind: 'create' },
        },
      ];
    }
    const recorded = ctx.journal.outputOf('flags.store', 'location') === s.location;
    const ours = ctx.journal.pendingIntents().some((r) => r.kind === KIND && r.name === s.location);
    const use = { kind: 'use' as const, adopt: ours };
    if (!recorded) {
      return [
        {
          action: 'update',
          resource: s.location,
          subject: 'store',
          details: use,
          summary: ours
            ? 'adopt the store an interrupted run created'
            : 'use the existing flag store (rollback keeps it)',
        },
      ];
    }
    return [{ action: 'noop', resource: s.location, subject: 'store', summary: 'exists', details: use }];
  },

  async apply(ctx, change) {
    const s = await store(ctx);
    const exists = await s.exists();
    const planned = change.details;
    const ours = [...ctx.journal.pendingIntents(), ...ctx.journal.createdResources()].some(
      (r) => r.kind === KIND && r.name === s.location,
    );
    if (planned.kind === 'create' && exists && !ours)
      throw planDrift(this.id, change.resource, 'no flag store', 'a flag store');
    if (planned.kind === 'use' && !exists)
      throw planDrift(this.id, change.resource, 'the existing store', 'none');
    if (!exists) {
      ctx.journal.intent({ kind: KIND, name: s.location });
      await s.create(operator());
      ctx.journal.created({ kind: KIND, name: s.location });
    } else {
      // Fills in components missing from an older or hand-made store; never changes existing modes.
      await s.create(operator());
      if (ctx.journal.pendingIntents().some((r) => r.kind === KIND && r.name === s.location))
        ctx.journal.created({ kind: KIND, name: s.location });
    }
    ctx.journal.output('location', s.location);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const s = await store(ctx);
      const exists = await s.exists();
      checks.push({ name: `flag store ${s.location} exists`, expected: true, actual: exists, ok: exists });
      if (!exists) return checks;
      // read() validates every component's mode and throws on a damaged store.
      const state = await s.read();
      const modes = Object.fromEntries(FLAG_COMPONENTS.map((c) => [c, state[c].mode]));
      checks.push({
        name: 'every component has a valid mode',
        expected: FLAG_COMPONENTS.join(', '),
        actual: modes,
        ok: true,
      });
    } catch (error) {
      checks.push({
        name: 'flag store readable',
        expected: 'readable',
        actual: error instanceof Error ? error.message : String(error),
        ok: false,
      });
    }
    return checks;
  },

  async rollback(ctx) {
    const s = await store(ctx);
    for (const r of ctx.journal.createdResources().filter((x) => x.kind === KIND)) {
      await s.destroy();
      ctx.journal.undone({ resource: r });
    }
  },

  async verifyRollback(ctx) {
    const s = await store(ctx);
    const undone = ctx.journal.records().some((r) => r.type === 'undone' && r.resource?.kind === KIND);
    if (!undone) return [];
    const exists = await s.exists();
    return [
      {
        name: `flag store ${s.location} deleted`,
        expected: 'absent',
        actual: exists ? 'present' : 'absent',
        ok: !exists,
      },
    ];
  },
};
