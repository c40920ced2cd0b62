import type { Json } from '../../../core/contracts.js';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { SyncDirection, SyncHandle } from '../../../core/sync-contracts.js';
import type { EngineSession } from '../../../engine/session.js';
import { stepJournal } from '../../../engine/step-journal.js';
import { chooseCaptureMode, type DbCopyOutputs, forwardSyncOptions } from './from-config.js';
import { startForwardSync, startReverseSync } from './sync-runner.js';

// Opens the database change stream in either direction, from what db.copy (forward) and the db
// cutover (reverse) recorded in the journal.

const asString = (v: Json | undefined) => (typeof v === 'string' ? v : undefined);

export function dbCopyOutputs(session: EngineSession): DbCopyOutputs {
  const j = stepJournal(session.journal, 'sync');
  return {
    slot: asString(j.outputOf('db.copy', 'slot')),
    publication: asString(j.outputOf('db.copy', 'publication')),
    consistentPoint: asString(j.outputOf('db.copy', 'consistentPoint')),
    snapshot: asString(j.outputOf('db.copy', 'snapshot')),
  };
}

export function requireDbCopied(session: EngineSession): DbCopyOutputs {
  const outputs = dbCopyOutputs(session);
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

export async function openDbSync(
  session: EngineSession,
  direction: SyncDirection,
  log?: (message: string) => void,
): Promise<SyncHandle> {
  const config = session.loaded.config;
  const outputs = requireDbCopied(session);
  if (direction === 'forward') {
    const mode = await chooseCaptureMode(config.source.supabase?.dbUrl ?? '', config.sync.mode, outputs, log);
    return startForwardSync({ ...forwardSyncOptions(config, outputs, mode), log });
  }
  const base = forwardSyncOptions(config, outputs, 'logical');
  return startReverseSync({
    ...base,
    slot: config.sync.reverseSlot,
    publication: config.sync.reversePublication,
    startPosition: undefined,
    log,
  });
}
