import type { Config } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { dbSourceOf } from '../db/db-source.js';

// Where backups go and how they are encrypted, from the config (backup.*, else target.s3.bucket).

export interface BackupSettings {
  bucket: string;
  prefix: string;
  retentionDays: number;
  kmsKeyId?: string;
  sourceUrl: string;
  schemas: string[];
  supabase: boolean;
}

export const RETENTION_RULE_ID = 'engify-migrate-backups';

export function backupSettings(config: Config): BackupSettings {
  const bucket = config.backup?.bucket ?? config.target.s3?.bucket;
  if (!bucket) {
    throw new EngifyError({
      code: 'BACKUP_NO_BUCKET',
      kind: 'config',
      message: messages.backup.noBucket,
      hint: messages.backup.noBucketHint,
    });
  }
  const db = dbSourceOf(config);
  if (!db?.url) {
    throw new EngifyError({ code: 'BACKUP_NO_SOURCE', kind: 'config', message: messages.backup.noSource });
  }
  return {
    bucket,
    prefix: config.backup?.prefix ?? 'backups/',
    retentionDays: config.backup?.retentionDays ?? 30,
    ...(config.backup?.kmsKeyId ? { kmsKeyId: config.backup.kmsKeyId } : {}),
    sourceUrl: db.url,
    schemas: db.schemas,
    supabase: db.supabase,
  };
}

/**
 * backup.source runs (and cutover wants a backup) when the config has a `backup` section: opt-in for
 * now, so configs written before it keep their phases and cutover unchanged.
 */
export const backupEnabled = (config: Config): boolean =>
  config.backup !== undefined && dbSourceOf(config) !== undefined;
