import type { Json } from '../../../core/contracts.js';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { StepContext } from '../../../core/step.js';
import type { SyncDirection, SyncHandle } from '../../../core/sync-contracts.js';
import { dbSourceOf } from '../db-source.js';
import { targetDb } from '../target-db.js';
import { chooseCaptureMode, type DbCopyOutputs, forwardSyncOptions } from './from-config.js';
import { startForwardSync, startReverseSync } from './sync-runner.js';

// Opens the database change stream in either direction, from what db.copy (forward) and the db
// cutover (reverse) recorded in the journal.

const asString = (v: Json | undefined) => (typeof v === 'string' ? v : undefined);

export function dbCopyOutputs(ctx: StepContext): DbCopyOutputs {
  return {
    slot: asString(ctx.journal.outputOf('db.copy', 'slot')),
    publication: asString(ctx.journal.outputOf('db.copy', 'publication')),
    consistentPoint: asString(ctx.journal.outputOf('db.copy', 'consistentPoint')),
    snapshot: asString(ctx.journal.outputOf('db.copy', 'snapshot')),
  };
}

export function requireDbCopied(ctx: StepContext): DbCopyOutputs {
  const outputs = dbCopyOutputs(ctx);
  if (!outputs.slot && !outputs.snapshot) {
    throw new EngifyError({
      code: 'SYNC_BEFORE_COPY',
      kind: 'config',
      message: messages.cutover.needsCopy,
      hint: messages.cutover.needsCopyHint,
    });
  }
  return outputs;
}

/** The target for sync: one with logical replication and its own sessions (a direct connection). */
async function syncTarget(ctx: StepContext) {
  if (!ctx.config.target.rds) return undefined;
  const target = await targetDb(ctx, 'sync');
  return target.capabilities.logicalReplication && target.capabilities.sessionSql ? target.url : undefined;
}

export async function openDbSync(ctx: StepContext, direction: SyncDirection): Promise<SyncHandle> {
  const config = ctx.config;
  const outputs = requireDbCopied(ctx);
  const log = (m: string) => ctx.log(m);
  if (direction === 'forward') {
    const mode = await chooseCaptureMode(dbSourceOf(config)?.url ?? '', config.sync.mode, outputs, log);
    return startForwardSync({ ...forwardSyncOptions(config, outputs, mode, await syncTarget(ctx)), log });
  }
  const base = forwardSyncOptions(config, outputs, 'logical', await syncTarget(ctx));
  return startReverseSync({
    ...base,
    slot: config.sync.reverseSlot,
    publication: config.sync.reversePublication,
    startPosition: undefined,
    log,
  });
}
