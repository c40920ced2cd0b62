import type { Config } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { openFlagStore } from '../../flags/open-store.js';
import { META } from '../../providers/s3/object-metadata.js';
import { S3ObjectWriter } from '../../providers/s3/objects.js';
import {
  createStorageSource,
  type StorageBucket,
  type StorageSource,
  storageMode,
} from '../../providers/supabase/storage/index.js';
import { copyBucket, streamOf, verifyBucket } from './files-copy-run.js';
import { carriedOf } from './files-pass-state.js';

// files.copy: every object of the selected Supabase Storage buckets into the target S3 bucket, at
// <target.s3.prefix><bucket>/<name>, with content type, cache control, owner and custom metadata kept
// and the SHA-256 stored as x-amz-meta-sha256. One Change per bucket. See files-copy-run.ts for the
// journal layout and objects.ts for how the hash gets stored without buffering an object whole.

const globToRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

export function selectBuckets(all: StorageBucket[], patterns: string[] | undefined): StorageBucket[] {
  const wanted = patterns ?? ['*'];
  const literalMissing = wanted.filter((p) => !/[*?]/.test(p) && !all.some((b) => b.name === p));
  if (literalMissing.length > 0) {
    throw new EngifyError({
      code: 'FILES_UNKNOWN_BUCKET',
      kind: 'config',
      message: messages.files.unknownBuckets(
        literalMissing,
        all.map((b) => b.name),
      ),
      hint: messages.files.unknownBucketsHint,
    });
  }
  const matchers = wanted.map(globToRegExp);
  return all.filter((b) => matchers.some((m) => m.test(b.name)));
}

async function open(
  ctx: StepContext,
): Promise<{ source: StorageSource; writer: S3ObjectWriter; concurrency: number }> {
  const s3 = ctx.config.target.s3;
  if (!s3)
    throw new EngifyError({
      code: 'FILES_NO_TARGET',
      kind: 'config',
      message: messages.config.needsSection('target.s3', filesCopy.id),
    });
  const source = createStorageSource(ctx.config, ctx.services);
  const writer = new S3ObjectWriter({
    client: await ctx.services.s3(),
    bucket: s3.bucket,
    prefix: s3.prefix,
    project: ctx.config.project,
    partSizeBytes: s3.partSizeMiB * 1024 * 1024,
    partQueue: s3.partQueue,
    force: ctx.force,
    attempts: ctx.config.target.aws.maxAttempts,
  });
  return { source, writer, concurrency: s3.concurrency };
}

async function buckets(ctx: StepContext, source: StorageSource): Promise<StorageBucket[]> {
  return selectBuckets(await source.listBuckets(), ctx.config.source.supabase?.buckets);
}

const targetOf = (config: Config, bucket: string) =>
  `s3://${config.target.s3?.bucket}/${config.target.s3?.prefix ?? ''}${bucket}/`;

/** A bucket to copy, with what plan listed in it; `none` when no bucket is selected at all. */
type FilesCopyAction =
  | PlannedAction<
      'bucket',
      { bucket: string; objects?: number; bytes?: number; public?: boolean | null; mode?: string | null }
    >
  | PlannedAction<'none', null>;

export const filesCopy: Step<FilesCopyAction> = {
  id: 'files.copy',
  phase: 2,
  component: 'files',
  title: 'Copy Supabase Storage objects into S3',
  dependsOn: ['files.bucket'],
  enabled: (config) =>
    config.source.supabase !== undefined &&
    (config.source.supabase.buckets !== undefined || config.source.supabase.storage !== undefined) &&
    config.target.s3 !== undefined,

  async plan(ctx) {
    const { source } = await open(ctx);
    try {
      const selected = await buckets(ctx, source);
      if (selected.length === 0)
        return [
          {
            action: 'noop',
            resource: 'files',
            subject: 'none',
            summary: messages.files.noBuckets,
            details: null,
          },
        ];
      const changes: FilesCopyAction[] = [];
      for (const bucket of selected) {
        const resource = targetOf(ctx.config, bucket.name);
        const warnings =
          bucket.public === true
            ? [messages.files.publicBucket(bucket.name)]
            : bucket.public === false
              ? [messages.files.privateBucket(bucket.name)]
              : [messages.files.unknownVisibility(bucket.name)];
        if (ctx.journal.lastCheckpoint(streamOf(bucket.name))?.done) {
          changes.push({
            action: 'noop',
            resource,
            subject: 'bucket',
            summary: messages.files.alreadyCopied(bucket.name),
            details: { bucket: bucket.name },
            warnings,
          });
          continue;
        }
        let objects = 0;
        let bytes = 0;
        // PUT-class requests the copy makes (for the cost estimate): one PutObject for an object that
        // fits in one part, else CreateMultipartUpload + one UploadPart a part + CompleteMultipartUpload.
        let putRequests = 0;
        const partBytes = (ctx.config.target.s3?.partSizeMiB ?? 8) * 1024 * 1024;
        for await (const batch of source.listObjects(bucket.name, { signal: ctx.signal })) {
          objects += batch.items.length;
          for (const item of batch.items) {
            bytes += item.size;
            putRequests += item.size <= partBytes ? 1 : Math.ceil(item.size / partBytes) + 2;
          }
        }
        changes.push({
          action: 'copy',
          resource,
          subject: 'bucket',
          summary: messages.files.copySummary(bucket.name, objects, bytes, resource),
          details: {
            bucket: bucket.name,
            objects,
            bytes,
            public: bucket.public ?? null,
            mode: ctx.config.source.supabase ? storageMode(ctx.config.source.supabase) : null,
          },
          warnings,
          measures: [{ kind: 'files', bucket: bucket.name, objects, bytes, putRequests }],
        });
      }
      return changes;
    } finally {
      await source.close();
    }
  },

  async apply(ctx, change) {
    if (change.action !== 'copy' || change.subject !== 'bucket') return;
    const { bucket } = change.details;
    const { source, writer, concurrency } = await open(ctx);
    try {
      await copyBucket(ctx, source, writer, bucket, concurrency);
    } finally {
      await source.close();
    }
  },

  async verify(ctx) {
    const checks: Check[] = [];
    let opened: Awaited<ReturnType<typeof open>> | undefined;
    try {
      opened = await open(ctx);
      const { source, writer, concurrency } = opened;
      const afterCutover = await isAfterCutover(ctx);
      const options = {
        afterCutover,
        project: ctx.config.project,
        carried: (key: string) => carriedOf(ctx, key),
      };
      for (const bucket of await buckets(ctx, source)) {
        try {
          const v = await verifyBucket(ctx, source, writer, bucket.name, concurrency, options);
          checks.push(
            {
              name: messages.files.checkCount(bucket.name),
              expected: v.sourceCount,
              actual: v.targetCount,
              ok: v.sourceCount === v.targetCount,
              ...(v.sourceCount === v.targetCount ? {} : { hint: messages.files.countHint }),
            },
            {
              name: messages.files.checkBytes(bucket.name),
              expected: v.sourceBytes,
              actual: v.targetBytes,
              ok: v.sourceBytes === v.targetBytes,
              ...(v.sourceBytes === v.targetBytes ? {} : { hint: messages.files.countHint }),
            },
            {
              name: messages.files.checkHashes(bucket.name),
              expected: { mismatches: 0 },
              actual: { mismatches: v.mismatchCount, examples: v.mismatches },
              ok: v.mismatchCount === 0,
              ...(v.mismatchCount === 0 ? {} : { hint: messages.files.hashHint }),
            },
            {
              name: messages.files.checkExtra(bucket.name),
              expected: { extra: 0 },
              actual: { extra: v.extraCount, examples: v.extras },
              ok: v.extraCount === 0,
              ...(v.extraCount === 0 ? {} : { hint: messages.files.extraHint }),
            },
          );
          // Informational after cutover: the app's own writes and deletions on S3, never a failure.
          if (afterCutover)
            checks.push(
              {
                name: messages.files.checkWrittenOnAws(bucket.name, v.writtenOnAws),
                expected: 'reported only (the app writes S3 after cutover)',
                actual: { written: v.writtenOnAws, examples: v.writtenOnAwsExamples },
                ok: false,
                skipped: true,
                hint: messages.files.writtenOnAwsHint,
              },
              {
                name: messages.files.checkDeletedOnAws(bucket.name, v.deletedOnAws),
                expected: 'reported only (the app deletes on S3 after cutover)',
                actual: { deleted: v.deletedOnAws, examples: v.deletedOnAwsExamples },
                ok: false,
                skipped: true,
                hint: messages.files.deletedOnAwsHint,
              },
            );
        } catch (error) {
          checks.push(failedCheck(ctx, bucket.name, error));
        }
      }
    } catch (error) {
      checks.push(failedCheck(ctx, '*', error));
    } finally {
      await opened?.source.close().catch(() => undefined);
    }
    return checks;
  },

  // Deletes, bucket by bucket, the target objects carrying this project's marker, one request per
  // key; what this tool did not write is kept. Source data is never touched.
  async rollback(ctx) {
    const s3 = ctx.config.target.s3;
    if (!s3) return;
    const streams = new Set<string>();
    for (const record of ctx.journal.records()) if (record.type === 'checkpoint') streams.add(record.stream);
    const { writer } = await open(ctx);
    for (const stream of streams) {
      const bucket = stream.slice('bucket:'.length);
      let deleted = 0;
      let kept = 0;
      for await (const page of writer.list(writer.keyOf({ bucket, name: '' }), ctx.signal)) {
        for (const { key } of page) {
          const head = await writer.head(key, ctx.signal);
          if (head?.metadata[META.copiedBy] === ctx.config.project) {
            await writer.delete(key, ctx.signal);
            deleted++;
          } else kept++;
        }
      }
      ctx.journal.undone({ stream });
      ctx.log(messages.files.rolledBack(bucket, deleted, kept));
    }
  },
};

/**
 * Whether the files flag is past cutover (`target` or `done`): then the app writes S3 and those writes
 * are expected there. `source` and `draining` (and a store that does not exist yet) keep Storage as the
 * truth; a store that cannot be read does too, the strictest reading, and says so.
 */
async function isAfterCutover(ctx: StepContext): Promise<boolean> {
  let location: string = ctx.config.flags.store;
  try {
    const store = await openFlagStore(ctx.config.flags, ctx.services);
    location = store.location;
    if (!(await store.exists())) return false;
    const mode = (await store.read()).files.mode;
    return mode === 'target' || mode === 'done';
  } catch (error) {
    ctx.log(
      messages.files.flagUnreadable(
        location,
        ctx.redactor.redact(String((error as Error)?.message ?? error)),
      ),
    );
    return false;
  }
}

function failedCheck(ctx: StepContext, bucket: string, error: unknown): Check {
  const e = error as { message?: string; hint?: string };
  return {
    name: messages.files.verifyFailed(bucket),
    expected: 'verification ran',
    actual: ctx.redactor.redact(e?.message ?? String(error)),
    ok: false,
    hint: e?.hint ?? messages.files.verifyFailedHint,
  };
}
