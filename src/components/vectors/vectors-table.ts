import type { VectorIndex } from '@aws-sdk/client-dynamodb';
import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError, toEngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { INDEX_KIND, TABLE_KIND, vectorTableManager } from '../../providers/dynamodb/vector-table-manager.js';
import { readLayout, requireDynamo, vectorIndexOf } from './vectors-layout.js';

// Phase 1: the DynamoDB table for vectors (on-demand, pk/sk) with one native vector index per
// (dimensions, distance) of the Qdrant collections the config selects.

const ID = 'vectors.table';

async function desiredOf(ctx: StepContext): Promise<{ table: string; indexes: VectorIndex[] }> {
  const cfg = requireDynamo(ctx.config, ID);
  const read = await readLayout(ctx, ID);
  return {
    table: cfg.vectorTable,
    indexes: read ? read.layout.groups.map((g) => vectorIndexOf(g, cfg)) : [],
  };
}

const describeIndex = (ix: VectorIndex): IndexSummary => ({
  name: ix.IndexName ?? '',
  attribute: ix.VectorAttribute?.AttributeName ?? '',
  dimensions: ix.Dimensions ?? 0,
  distance: ix.DistanceFunction ?? '',
});

type IndexSummary = { name: string; attribute: string; dimensions: number; distance: string };

/** `create` the table with its indexes, or add the `add` indexes plan found missing on the existing one. */
type TableAction = PlannedAction<
  'table',
  | { kind: 'create'; table: string; billingMode: string; key: string; vectorIndexes: IndexSummary[] }
  | { kind: 'add-indexes'; table: string; addVectorIndexes: IndexSummary[] }
  | { kind: 'none'; table: string }
>;

export const vectorsTableStep: Step<TableAction> = {
  id: ID,
  phase: 1,
  component: 'vectors',
  title: messages.vectors.tableTitle,
  dependsOn: [],
  enabled: (config) => config.target.dynamodb !== undefined,

  async plan(ctx) {
    const desired = await desiredOf(ctx);
    const manager = vectorTableManager(await ctx.services.dynamodb(), ctx.signal);
    const observed = await manager.observe(desired);
    const resource = messages.vectors.tableResource(desired.table);
    if (!observed.exists) {
      return [
        {
          action: 'create',
          resource,
          subject: 'table',
          summary: messages.vectors.planCreate(desired.table, desired.indexes.length),
          details: {
            kind: 'create',
            table: desired.table,
            billingMode: 'PAY_PER_REQUEST',
            key: 'pk (HASH, S) + sk (RANGE, S)',
            vectorIndexes: desired.indexes.map(describeIndex),
          },
        },
      ];
    }
    const missing = manager.missingIndexes(desired, observed);
    const blocking = manager
      .diff(desired, observed)
      .filter((line) => !missing.some((m) => line.includes(`${m.IndexName}`)));
    if (blocking.length > 0) {
      throw new EngifyError({
        code: 'VECTORS_TABLE_MISMATCH',
        kind: 'config',
        message: messages.vectors.tableMismatch(desired.table, blocking),
        hint: messages.vectors.tableMismatchHint,
      });
    }
    if (missing.length > 0) {
      return [
        {
          action: 'update',
          resource,
          subject: 'table',
          summary: messages.vectors.planAddIndexes(
            desired.table,
            missing.map((m) => m.IndexName ?? ''),
          ),
          details: {
            kind: 'add-indexes',
            table: desired.table,
            addVectorIndexes: missing.map(describeIndex),
          },
        },
      ];
    }
    return [
      {
        action: 'noop',
        resource,
        subject: 'table',
        summary: messages.vectors.planNoop(desired.table),
        details: { kind: 'none', table: desired.table },
      },
    ];
  },

  async apply(ctx, change) {
    const desired = await desiredOf(ctx);
    const manager = vectorTableManager(await ctx.services.dynamodb(), ctx.signal);
    let observed = await manager.observe(desired);
    const tableResource: CreatedResource = { kind: TABLE_KIND, name: desired.table };
    const pending = ctx.journal.pendingIntents();
    const ours = [...pending, ...ctx.journal.createdResources()].some(
      (p) => p.kind === TABLE_KIND && p.name === desired.table,
    );
    const planned = change.details;
    if (planned.table !== desired.table)
      throw planDrift(this.id, change.resource, `table ${planned.table}`, `table ${desired.table}`);
    if (planned.kind === 'create' && observed.exists && !ours)
      throw planDrift(this.id, change.resource, 'no such table', 'a table of that name');
    if (planned.kind !== 'create' && !observed.exists)
      throw planDrift(this.id, change.resource, 'the existing table', 'no such table');
    if (!observed.exists) {
      ctx.journal.intent(tableResource);
      const created = await manager.create(desired);
      ctx.journal.created(created);
      ctx.log(messages.vectors.created(desired.table));
    } else {
      // A crash between CreateTable and `created` leaves the intent pending: the table is ours.
      if (pending.some((p) => p.kind === TABLE_KIND && p.name === desired.table))
        ctx.journal.created({ ...tableResource, ...(observed.id ? { id: observed.id } : {}) });
      // Only the indexes plan listed: one the layout wants since then waits for the next plan.
      const plannedIndexes = new Set(
        planned.kind === 'add-indexes' ? planned.addVectorIndexes.map((i) => i.name) : [],
      );
      for (const ix of manager
        .missingIndexes(desired, observed)
        .filter((m) => plannedIndexes.has(m.IndexName ?? ''))) {
        const res: CreatedResource = { kind: INDEX_KIND, name: `${desired.table}/${ix.IndexName}` };
        ctx.journal.intent(res);
        ctx.journal.created(await manager.addIndex(desired.table, ix));
        ctx.log(messages.vectors.indexAdded(desired.table, ix.IndexName ?? ''));
      }
      for (const p of pending.filter((x) => x.kind === INDEX_KIND)) {
        observed = await manager.observe(desired);
        const name = p.name.split('/')[1];
        if (!manager.missingIndexes(desired, observed).some((m) => m.IndexName === name))
          ctx.journal.created(p);
      }
    }
    ctx.journal.output('table', desired.table);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const desired = await desiredOf(ctx);
      const manager = vectorTableManager(await ctx.services.dynamodb(), ctx.signal);
      const observed = await manager.observe(desired);
      checks.push({
        name: `vectors.table ${desired.table} exists`,
        expected: true,
        actual: observed.exists,
        ok: observed.exists,
        ...(observed.exists ? {} : { hint: messages.vectors.applyPhase1Hint }),
      });
      if (observed.exists) {
        const diff = manager.diff(desired, observed);
        checks.push({
          name: `vectors.table ${desired.table} settings (on-demand, pk/sk, vector indexes)`,
          expected: { billingMode: 'PAY_PER_REQUEST', vectorIndexes: desired.indexes.map(describeIndex) },
          actual: observed.settings ?? null,
          ok: diff.length === 0,
          ...(diff.length > 0 ? { hint: diff.join('; ') } : {}),
        });
      }
    } catch (error) {
      const e = toEngifyError(error, {
        code: 'VECTORS_VERIFY',
        kind: 'system',
        message: messages.vectors.verifyFailed,
      });
      checks.push({
        name: 'vectors.table reachable',
        expected: true,
        actual: false,
        ok: false,
        hint: e.hint ?? e.message,
      });
    }
    return checks;
  },

  async rollback(ctx) {
    const manager = vectorTableManager(await ctx.services.dynamodb(), ctx.signal);
    const resources = [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()].reverse();
    const tableGone = new Set<string>();
    for (const r of resources) {
      if (r.kind === TABLE_KIND) {
        await manager.delete(r);
        tableGone.add(r.name);
      } else if (r.kind === INDEX_KIND && !tableGone.has(r.name.split('/')[0] ?? '')) {
        await manager.deleteIndex(r);
      }
      ctx.journal.undone({ resource: r });
      ctx.log(messages.vectors.deleted(r.kind, r.name));
    }
  },
};
