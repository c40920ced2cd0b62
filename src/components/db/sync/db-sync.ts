import type { Json } from '../../../core/contracts.js';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { StepContext } from '../../../core/step.js';
import type { SyncDirection, SyncHandle } from '../../../core/sync-contracts.js';
import { dmsEngaged } from '../db-copy-dms.js';
import { declaredDialectOf } from '../dialects/source-dialects.js';
import { targetDb } from '../target-db.js';
import { openDmsSync } from './db-sync-dms.js';
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

/** A source without change capture cannot be synced: the refusal names the source and what to do. */
export function requireCapture(ctx: StepContext): void {
  const dialect = declaredDialectOf(ctx.config);
  if (dialect?.capture === 'none')
    throw new EngifyError({
      code: 'SYNC_NO_CHANGE_CAPTURE',
      kind: 'config',
      message: messages.sync.noChangeCapture(dialect.kind, dialect.fields.location),
      hint: messages.sync.noChangeCaptureHint,
    });
}

/** The target for sync: one with logical replication and its own sessions (a direct connection). */
async function syncTarget(ctx: StepContext) {
  if (!ctx.config.target.rds) return undefined;
  const target = await targetDb(ctx, 'sync');
  return target.capabilities.logicalReplication && target.capabilities.sessionSql ? target.url : undefined;
}

export async function openDbSync(ctx: StepContext, direction: SyncDirection): Promise<SyncHandle> {
  const config = ctx.config;
  requireCapture(ctx);
  // DMS did the copy: its own change capture carries the changes forward.
  if (direction === 'forward' && dmsEngaged(ctx)) return openDmsSync(ctx);
  // The way back after a DMS copy is this tool's own reverse slot on the target, which needs no db.copy slot.
  const outputs = dmsEngaged(ctx) ? dbCopyOutputs(ctx) : requireDbCopied(ctx);
  const log = (m: string) => ctx.log(m);
  if (direction === 'forward') {
    const mode = await chooseCaptureMode(
      declaredDialectOf(config)?.pgUrl ?? '',
      config.sync.mode,
      outputs,
      log,
    );
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
