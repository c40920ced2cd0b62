import { BACKUP_STEP, runBackup } from '../components/backup/backup-source.js';
import { ExitCode } from '../core/errors.js';
import { type CommandIo, withSession } from './common.js';

// `engify-migrate backup`: a new backup of the source (database, Auth users, Qdrant), on its own.
// After kill -9, the same command finishes the interrupted backup (same id, fresh snapshot).

export async function backupCommand(io: CommandIo, options: { forceUnlock?: boolean }): Promise<ExitCode> {
  return withSession(io, { lock: 'backup', forceUnlock: options.forceUnlock }, async (session) => {
    const [r] = await io.renderer.runTasks([
      {
        id: BACKUP_STEP,
        title: 'backup',
        run: async (taskIo) => {
          try {
            const ctx = session.context({ id: BACKUP_STEP }, { log: taskIo.log, progress: taskIo.progress });
            const record = await runBackup(ctx);
            return {
              outcome: 'succeeded' as const,
              summary: `${record.id}: ${record.objects} object(s) in s3://${record.bucket}/${record.prefix}${record.id}/`,
            };
          } catch (error) {
            return {
              outcome: 'failed' as const,
              summary: error instanceof Error ? error.message : String(error),
              error,
            };
          }
        },
      },
    ]);
    if (r?.error !== undefined) throw r.error;
    return r?.outcome === 'succeeded' ? ExitCode.ok : ExitCode.failed;
  });
}
