import { restoreBackup } from '../components/backup/backup-restore.js';
import { backupSettings } from '../components/backup/backup-settings.js';
import { EngifyError, ExitCode } from '../core/errors.js';
import { messages } from '../core/messages.js';
import { type CommandIo, withSession } from './common.js';

// `engify-migrate restore --backup <id> --to <postgres-url>`: the database part of a backup into a
// fresh server (refused, naming the tables, when it holds rows).

export async function restoreCommand(
  io: CommandIo,
  options: { backup: string; to: string; forceUnlock?: boolean },
): Promise<ExitCode> {
  return withSession(
    io,
    {
      lock: 'restore',
      forceUnlock: options.forceUnlock,
      before: () => {
        if (!/^postgres(ql)?:\/\//.test(options.to))
          throw new EngifyError({
            code: 'USAGE',
            kind: 'config',
            message: messages.backup.badUrl(options.to),
          });
      },
    },
    async (session) => {
      const s = backupSettings(session.loaded.config);
      const outcome = await restoreBackup(session.services, {
        bucket: s.bucket,
        prefix: s.prefix,
        id: options.backup,
        to: options.to,
        log: (m) => io.renderer.info(`  ${m}`),
      });
      io.renderer.info(messages.backup.restored(outcome.id, outcome.tables, outcome.rows));
      return ExitCode.ok;
    },
  );
}
