import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { readTables } from '../../providers/postgres/catalog.js';
import { backupStore } from '../../providers/s3/backup-store.js';
import {
  type BackupRecord,
  backupRecordOf,
  manifestKey,
  newBackupId,
  parseManifest,
} from './backup-manifest.js';
import { takeBackup } from './backup-run.js';
import { backupEnabled, backupSettings } from './backup-settings.js';

// backup.source, the first step of phase 2: before any data moves, a restorable backup of the source.
// `engify-migrate backup` runs the same thing on its own (a new backup each time it is called).
// The id being taken is journaled before anything is written, so a rerun after kill -9 retakes that
// same backup; the last complete one is journaled for cutover, which wants one newer than the copy.

export const BACKUP_STEP = 'backup.source';
const STREAM = 'backup';

const pendingOf = (ctx: StepContext) => {
  const v = ctx.journal.outputOf(BACKUP_STEP, 'pendingBackup');
  return typeof v === 'string' && v !== '' ? v : undefined;
};

export function lastBackup(ctx: StepContext): BackupRecord | undefined {
  return backupRecordOf(ctx.journal.outputOf(BACKUP_STEP, 'lastBackup'));
}

/** Takes a backup (or finishes the interrupted one) and journals it. */
export async function runBackup(ctx: StepContext): Promise<BackupRecord> {
  const s = backupSettings(ctx.config);
  const pending = pendingOf(ctx);
  const id = pending ?? newBackupId(new Date());
  ctx.log(pending ? messages.backup.resuming(id) : messages.backup.taking(id));
  ctx.journal.output('pendingBackup', id);
  const { manifest, bytes } = await takeBackup(ctx, s, id);
  const record: BackupRecord = {
    id,
    takenAt: manifest.takenAt,
    bucket: s.bucket,
    prefix: s.prefix,
    objects: manifest.objects.length,
    bytes,
  };
  ctx.journal.output('lastBackup', record as unknown as Json);
  ctx.journal.output('pendingBackup', '');
  ctx.journal.checkpoint(STREAM, id, 1, true);
  ctx.log(messages.backup.done(id, manifest.objects.length, bytes));
  return record;
}

/** A backup to take (or resume) into this bucket and prefix; `noop` once the last one is complete. */
type BackupAction = PlannedAction<
  'backup',
  | { kind: 'done'; id: string }
  | {
      kind: 'take';
      bucket: string;
      prefix: string;
      retentionDays: number;
      usersEncryption: string;
      resumes?: Json;
    }
>;

export const backupSourceStep: Step<BackupAction> = {
  id: BACKUP_STEP,
  phase: 2,
  component: 'backup',
  title: messages.backup.title,
  dependsOn: [],
  enabled: backupEnabled,

  async plan(ctx) {
    const s = backupSettings(ctx.config);
    const resource = messages.backup.resource(s.bucket, s.prefix);
    const last = lastBackup(ctx);
    if (last && !pendingOf(ctx) && ctx.journal.lastCheckpoint(STREAM)?.done)
      return [
        {
          action: 'noop',
          resource,
          subject: 'backup',
          summary: messages.backup.planDone(last.id),
          details: { kind: 'done', id: last.id },
        },
      ];
    const db = await ctx.services.pg(s.sourceUrl);
    let tables = 0;
    let bytes = 0;
    try {
      for (const t of await readTables(db, s.schemas)) {
        tables++;
        bytes += t.estimatedBytes;
      }
    } finally {
      await db.end().catch(() => undefined);
    }
    return [
      {
        action: 'create',
        resource,
        summary: messages.backup.planSummary(
          tables,
          bytes,
          ctx.config.source.qdrant?.collections.length ?? 0,
          s.retentionDays,
          s.kmsKeyId ? `SSE-KMS ${s.kmsKeyId}` : 'SSE-S3',
        ),
        subject: 'backup',
        details: {
          kind: 'take',
          bucket: s.bucket,
          prefix: s.prefix,
          retentionDays: s.retentionDays,
          usersEncryption: s.kmsKeyId ? 'aws:kms' : 'AES256',
          ...(pendingOf(ctx) ? { resumes: pendingOf(ctx) ?? null } : {}),
        },
      },
    ];
  },

  async apply(ctx, change) {
    if (change.details.kind === 'done') return;
    await runBackup(ctx);
  },

  async verify(ctx): Promise<Check[]> {
    const last = lastBackup(ctx);
    if (!last) return [{ name: 'a complete backup exists', expected: true, actual: false, ok: false }];
    try {
      const store = backupStore(await ctx.services.s3(), last.bucket);
      const manifest = parseManifest((await store.getText(manifestKey(last.prefix, last.id))) ?? '');
      const keys = new Set(await store.list(`${last.prefix}${last.id}/`));
      const missing = (manifest?.objects ?? []).filter((o) => !keys.has(o.key)).map((o) => o.key);
      return [
        {
          name: `backup ${last.id}: manifest present`,
          expected: true,
          actual: manifest !== undefined,
          ok: !!manifest,
        },
        {
          name: `backup ${last.id}: every object present`,
          expected: [],
          actual: missing,
          ok: missing.length === 0,
        },
      ];
    } catch (error) {
      const e = error instanceof EngifyError ? error.message : String(error);
      return [{ name: `backup ${last.id} readable`, expected: true, actual: e, ok: false }];
    }
  },
};
