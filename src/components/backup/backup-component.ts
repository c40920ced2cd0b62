import type { ComponentModule } from '../../core/component.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { StepContext } from '../../core/step.js';
import { backupEnabled } from './backup-settings.js';
import { backupSourceStep, lastBackup } from './backup-source.js';

// The backup component: backup.source (first in phase 2), and a cutover guard: after cutover, reverse
// sync writes into the old database, so a cutover needs a complete backup taken after the copy's
// snapshot (`engify-migrate backup` right before it), unless --no-backup.

/** The copy's snapshot time as db.copy journals it (absent: no copy yet). */
const SNAPSHOT = { step: 'db.copy', key: 'snapshotAt' };

export function backupGuard(ctx: StepContext): EngifyError | undefined {
  if (!backupEnabled(ctx.config)) return undefined;
  const at = ctx.journal.outputOf(SNAPSHOT.step, SNAPSHOT.key);
  const since = typeof at === 'string' ? at : null;
  const last = lastBackup(ctx);
  if (last && (since === null || Date.parse(last.takenAt) > Date.parse(since))) return undefined;
  return new EngifyError({
    code: 'CUTOVER_NO_BACKUP',
    kind: 'config',
    message: messages.backup.noBackup(since),
    hint: messages.backup.noBackupHint,
  });
}

export const backupComponent: ComponentModule = {
  name: 'backup',
  steps: [backupSourceStep],
  cutoverGuard: { option: 'backup', check: backupGuard },
};
