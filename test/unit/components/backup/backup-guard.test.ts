import { afterEach, describe, expect, it } from 'vitest';
import { backupGuard } from '../../../../src/components/backup/backup-component.js';
import type { EngineSession } from '../../../../src/engine/session.js';
import { openTestSession } from '../../../helpers/session.js';

// The cutover guard reads two journal outputs: db.copy's snapshotAt and backup.source's lastBackup.
// Only a backup taken after the copy's snapshot lets a cutover to target through.

let session: EngineSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

const config = (backup: boolean) => ({
  project: 'guard-unit',
  source: { supabase: { dbUrl: 'postgres://u@127.0.0.1:1/db' } },
  target: { aws: { region: 'us-east-1' }, s3: { bucket: 'guard-unit-files' } },
  ...(backup ? { backup: {} } : {}),
});

function record(takenAt: string) {
  return { id: '20261203T090000Z', takenAt, bucket: 'b', prefix: 'backups/', objects: 3, bytes: 10 };
}

describe('cutover backup guard', () => {
  it('wants a backup newer than the copy snapshot', () => {
    session = openTestSession(config(true));
    const ctx = session.context({ id: 'cutover.db' });
    expect(backupGuard(ctx)?.code).toBe('CUTOVER_NO_BACKUP');
    session.context({ id: 'db.copy' }).journal.output('snapshotAt', '2026-12-03T09:30:00.000Z');
    session.context({ id: 'backup.source' }).journal.output('lastBackup', record('2026-12-03T09:00:00.000Z'));
    expect(backupGuard(ctx)?.message).toMatch(/since the copy's snapshot \(2026-12-03T09:30:00.000Z\)/);
    session.context({ id: 'backup.source' }).journal.output('lastBackup', record('2026-12-03T10:00:00.000Z'));
    expect(backupGuard(ctx)).toBeUndefined();
  });

  it('is off for a config without a backup section', () => {
    session = openTestSession(config(false));
    expect(backupGuard(session.context({ id: 'cutover.db' }))).toBeUndefined();
  });
});
