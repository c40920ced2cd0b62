import type { StreamCutover } from '../../../core/component.js';
import { messages } from '../../../core/messages.js';
import type { StepContext } from '../../../core/step.js';
import type { SyncDirection } from '../../../core/sync-contracts.js';
import { DMS_OUTPUT, dmsEngaged, stopDmsReplication } from '../db-copy-dms.js';
import { declaredDialectOf } from '../dialects/source-dialects.js';
import { targetDb } from '../target-db.js';
import { publicationTables } from './catalog.js';
import { dbCopyOutputs, requireCapture } from './db-sync.js';
import { dropReverseCapture, prepareReverseCapture } from './reverse-setup.js';
import { carrySequencePositions } from './sequence-positions.js';

// The database's part of a cutover: sequence positions follow the side the app writes, and reverse
// capture (a publication and a slot on the target) is made ready before the target takes writes.

/** Moves sequences on the side about to take writes up to the other side's positions. */
export async function carrySequences(ctx: StepContext, direction: SyncDirection): Promise<number> {
  const config = ctx.config;
  const db = declaredDialectOf(config);
  const sourceUrl = db?.pgUrl;
  if (!config.target.rds || !sourceUrl) return 0;
  const to = await targetDb(ctx);
  if (!to.capabilities.sessionSql) return 0;
  const source = await ctx.services.pg(sourceUrl);
  const target = await to.connect();
  try {
    const schemas = db?.schemas ?? ['public'];
    return direction === 'forward'
      ? await carrySequencePositions(source, target, schemas)
      : await carrySequencePositions(target, source, schemas);
  } finally {
    await source.end();
    await target.end();
  }
}

async function targetUrl(ctx: StepContext): Promise<string | undefined> {
  return ctx.config.target.rds ? (await targetDb(ctx)).url : undefined;
}

export const dbCutover: StreamCutover = {
  async prepareReverse(ctx, say) {
    // A source without change capture has no way back to prepare (the forward stream refuses first).
    requireCapture(ctx);
    const config = ctx.config;
    // After the drain: DMS stops before the target takes writes (its tables are the copied ones).
    const dms = dmsEngaged(ctx);
    if (dms) await stopDmsReplication(ctx, say);
    const source = await ctx.services.pg(declaredDialectOf(config)?.pgUrl ?? '');
    const target = await ctx.services.pg((await targetUrl(ctx)) ?? '');
    try {
      const publication = dbCopyOutputs(ctx).publication;
      const dmsTables = ctx.journal.outputOf('db.copy', DMS_OUTPUT.tables);
      const tables = publication
        ? await publicationTables(source, publication)
        : dms && Array.isArray(dmsTables)
          ? dmsTables.map((t) => {
              const [schema = '', ...rest] = String(t).split('.');
              return { schema, name: rest.join('.') };
            })
          : [];
      const reverse = await prepareReverseCapture(target, tables, {
        slot: config.sync.reverseSlot,
        publication: config.sync.reversePublication,
      });
      if (reverse.createdSlot) ctx.journal.created({ kind: 'pg-replication-slot', name: reverse.slot });
      if (reverse.createdPublication)
        ctx.journal.created({ kind: 'pg-publication', name: reverse.publication });
      say(messages.cutover.reverseReady(reverse.slot, tables.length));
    } finally {
      await source.end();
      await target.end();
    }
  },

  async reverseReady(ctx) {
    const url = await targetUrl(ctx);
    if (!url) return false;
    const target = await ctx.services.pg(url);
    try {
      const r = await target.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
        ctx.config.sync.reverseSlot,
      ]);
      return (r.rowCount ?? 0) > 0;
    } finally {
      await target.end();
    }
  },

  async retire(ctx) {
    const target = await ctx.services.pg((await targetUrl(ctx)) ?? '');
    try {
      await dropReverseCapture(target, {
        slot: ctx.config.sync.reverseSlot,
        publication: ctx.config.sync.reversePublication,
      });
    } finally {
      await target.end();
    }
    for (const r of ctx.journal.createdResources()) ctx.journal.undone({ resource: r });
  },

  // Only what the journal says cutover created: the reverse slot would keep the target database from
  // being dropped, and retains WAL.
  async release(ctx) {
    const created = ctx.journal.createdResources();
    const url = await targetUrl(ctx);
    if (created.length === 0 || !url) return 0;
    const target = await ctx.services.pg(url);
    try {
      const slot = created.find((r) => r.kind === 'pg-replication-slot')?.name;
      const publication = created.find((r) => r.kind === 'pg-publication')?.name;
      await dropReverseCapture(target, {
        slot: slot ?? ctx.config.sync.reverseSlot,
        publication: publication ?? ctx.config.sync.reversePublication,
      });
    } finally {
      await target.end();
    }
    for (const r of created) ctx.journal.undone({ resource: r });
    return created.length;
  },
};
