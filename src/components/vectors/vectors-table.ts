import type { VectorIndex } from '@aws-sdk/client-dynamodb';
import type { CreatedResource, Json } from '../../core/contracts.js';
import { EngifyError, toEngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { Change, Check, Step, StepContext } from '../../core/step.js';
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

const describeIndex = (ix: VectorIndex): Json => ({
  name: ix.IndexName ?? '',
  attribute: ix.VectorAttribute?.AttributeName ?? '',
  dimensions: ix.Dimensions ?? 0,
  distance: ix.DistanceFunction ?? '',
});

export const vectorsTableStep: Step = {
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
          summary: messages.vectors.planCreate(desired.table, desired.indexes.length),
          details: {
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
          summary: messages.vectors.planAddIndexes(
            desired.table,
            missing.map((m) => m.IndexName ?? ''),
          ),
          details: { table: desired.table, addVectorIndexes: missing.map(describeIndex) },
        },
      ];
    }
    return [{ action: 'noop', resource, summary: messages.vectors.planNoop(desired.table) }];
  },

  async apply(ctx, _change: Change) {
    // Recomputed from live state rather than trusted from the plan: a rerun after a crash does only what is missing.
    const desired = await desiredOf(ctx);
    const manager = vectorTableManager(await ctx.services.dynamodb(), ctx.signal);
    let observed = await manager.observe(desired);
    const tableResource: CreatedResource = { kind: TABLE_KIND, name: desired.table };
    const pending = ctx.journal.pendingIntents();
    if (!observed.exists) {
      ctx.journal.intent(tableResource);
      const created = await manager.create(desired);
      ctx.journal.created(created);
      ctx.log(messages.vectors.created(desired.table));
    } else {
      // A crash between CreateTable and `created` leaves the intent pending: the table is ours.
      if (pending.some((p) => p.kind === TABLE_KIND && p.name === desired.table)) {
        ctx.journal.created({ ...tableResource, ...(observed.id ? { id: observed.id } : {}) });
      }
      for (const ix of manager.missingIndexes(desired, observed)) {
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
