import { randomUUID } from 'node:crypto';
import type { BulkOperationDescription } from '@aws-sdk/client-dynamodb';
import type { Config, DynamoDbConfig } from '../../config/schema.js';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { StepContext } from '../../core/step.js';
import {
  deletePrefix,
  describeBulk,
  StagedObject,
  startBulkPut,
  TERMINAL,
  waitForBulk,
} from '../../providers/dynamodb/bulk-import.js';
import { encodePoint, pointIdToString } from '../../providers/dynamodb/vector-item-codec.js';
import type { CollectionInfo, QdrantPoint, QdrantSource } from '../../providers/qdrant/qdrant-source.js';
import type { VectorsLayout } from './vectors-layout.js';

// vectors.copy's bulk path, for a collection above target.dynamodb.bulkThresholdPoints:
//   1. stage: scroll the collection, encode each point with the same codec as the batch path (bad points
//      rejected one by one), and stream the items as gzip DYNAMODB_JSON lines into S3 objects of
//      bulkObjectPoints points each; one checkpoint per finished object (cursor = Qdrant's scroll offset
//      after it), so a rerun restages only the object that was being written;
//   2. import: StartBulkPutItems over the staged prefix. The ClientToken is journaled BEFORE the call and
//      the operation ARN right after it: a rerun re-polls the journaled ARN, or re-sends the same token
//      (DynamoDB returns the operation it already started), and never starts a second import of the
//      same data;
//   3. finish: report imported/failed counts, delete the staged input, checkpoint the collection done.

const ID = 'vectors.copy';
const REJECTED_KEPT = 50;
export const stageStreamOf = (collection: string) => `bulk-stage:${collection}`;
export const bulkJobKey = (collection: string) => `bulk-job:${collection}` as const;
export const bulkResultKey = (collection: string) => `bulk-result:${collection}` as const;

export interface Staging {
  bucket: string;
  /** The collection's own prefix, e.g. engify-bulk/docs/ */
  root: string;
  inputPrefix: string;
  reportPrefix: string;
  location: string;
}

interface BulkJob {
  token: string;
  arn?: string;
  status?: string;
}

interface RejectedReport {
  count: number;
  points: { id: string; reason: string }[];
  /** Staged objects whose rejected points this report already includes (bulk path only). */
  stagedObjects?: number;
}

export function usesBulk(cfg: DynamoDbConfig, points: number): boolean {
  return points > cfg.bulkThresholdPoints;
}

/** The staging location of `collection`; a config error naming the missing field when there is none. */
export function stagingFor(config: Config, collection: string): Staging {
  const cfg = config.target.dynamodb;
  const bucket = cfg?.bulkStaging?.bucket ?? config.target.s3?.bucket;
  if (!bucket) {
    throw new EngifyError({
      code: 'VECTORS_BULK_STAGING_MISSING',
      kind: 'config',
      message: messages.vectors.bulkStagingMissing,
      hint: messages.vectors.bulkStagingMissingHint,
    });
  }
  const root = `${cfg?.bulkStaging?.prefix ?? 'engify-bulk/'}${collection}/`;
  return {
    bucket,
    root,
    inputPrefix: `${root}input/`,
    reportPrefix: `${root}report/`,
    location: `s3://${bucket}/${root}`,
  };
}

function rejectedSoFar(ctx: StepContext, collection: string): RejectedReport {
  const v = ctx.journal.outputOf(ID, `rejected:${collection}`) as RejectedReport | undefined;
  return v ?? { count: 0, points: [] };
}

async function stage(
  ctx: StepContext,
  deps: { source: QdrantSource; layout: VectorsLayout; info: CollectionInfo; staging: Staging },
): Promise<void> {
  const { source, layout, info, staging } = deps;
  const cfg = ctx.config.target.dynamodb!;
  const stream = stageStreamOf(info.name);
  const last = ctx.journal.lastCheckpoint(stream);
  if (last?.done) return;
  const s3 = await ctx.services.s3();
  // A fresh start clears what an earlier, abandoned attempt may have left under the input prefix.
  if (!last) await deletePrefix(s3, staging.bucket, staging.inputPrefix, ctx.signal);
  const resume = last?.cursor as { after: Json; objects: number } | undefined;
  let objects = resume?.objects ?? 0;
  let staged = last?.count ?? 0;
  const target = layout.targetOf(info.name);
  const report = rejectedSoFar(ctx, info.name);

  let current: StagedObject | undefined;
  let inObject = 0;
  let refused: { id: string; reason: string }[] = [];
  const closeObject = async (cursor: Json) => {
    if (current) await current.finish();
    current = undefined;
    objects++;
    // Rejections of a restaged object were already counted if the report says it covers it.
    if (refused.length > 0 && (report.stagedObjects ?? 0) < objects) {
      report.count += refused.length;
      report.points = [...report.points, ...refused].slice(0, REJECTED_KEPT);
      for (const r of refused.slice(0, 5)) ctx.log(messages.vectors.pointRejected(info.name, r.id, r.reason));
      report.stagedObjects = objects;
      ctx.journal.output(`rejected:${info.name}`, report as unknown as Json);
    }
    ctx.journal.checkpoint(stream, { after: cursor, objects }, inObject, cursor === null);
    staged += inObject;
    ctx.progress({ done: staged, unit: 'points staged' });
    inObject = 0;
    refused = [];
  };

  const batches = source.points(info).read({
    ...(resume ? { after: resume.after } : {}),
    signal: ctx.signal,
  });
  let sawLast = false;
  for await (const batch of batches) {
    for (const point of batch.items as QdrantPoint[]) {
      const encoded = encodePoint(point, target, layout.item);
      if (!encoded.ok) {
        refused.push({ id: pointIdToString(point.id), reason: encoded.reason });
        continue;
      }
      current ??= await StagedObject.open(
        s3,
        staging.bucket,
        `${staging.inputPrefix}part-${String(objects + 1).padStart(5, '0')}.json.gz`,
        ctx.signal,
      );
      await current.write(encoded.item);
    }
    inObject += batch.items.length;
    if (batch.cursor === null) sawLast = true;
    if (inObject >= cfg.bulkObjectPoints || batch.cursor === null) await closeObject(batch.cursor);
  }
  // A source that ends without a final null cursor (an empty collection) still closes its staging.
  if (!sawLast) await closeObject(null);
}

/** Copies one collection through StartBulkPutItems; returns items imported and points rejected/failed. */
export async function bulkCopyCollection(
  ctx: StepContext,
  deps: { source: QdrantSource; layout: VectorsLayout; info: CollectionInfo; collectionStream: string },
): Promise<{ written: number; rejected: number; failed: number }> {
  const { info, collectionStream } = deps;
  if (ctx.journal.lastCheckpoint(collectionStream)?.done) return { written: 0, rejected: 0, failed: 0 };
  const cfg = ctx.config.target.dynamodb!;
  const staging = stagingFor(ctx.config, info.name);
  const rejectedBefore = rejectedSoFar(ctx, info.name).count;
  await stage(ctx, { ...deps, staging });
  const rejected = rejectedSoFar(ctx, info.name).count - rejectedBefore;
  const stagedItems =
    (ctx.journal.lastCheckpoint(stageStreamOf(info.name))?.count ?? 0) - rejectedSoFar(ctx, info.name).count;
  const s3 = await ctx.services.s3();
  const client = await ctx.services.dynamodb();
  const table = cfg.vectorTable;

  let description: BulkOperationDescription | undefined;
  if (stagedItems > 0) {
    let job = ctx.journal.outputOf(ID, bulkJobKey(info.name)) as BulkJob | undefined;
    if (job?.arn) {
      const seen = await describeBulk(client, job.arn, ctx.signal);
      if (seen.BulkOperationStatus === 'FAILED' || seen.BulkOperationStatus === 'CANCELLED') job = undefined;
      else ctx.log(messages.vectors.bulkResumed(info.name, job.arn, seen.BulkOperationStatus ?? '?'));
    }
    if (!job?.arn) {
      // Journal the token first: a crash after the call re-sends it and gets the same operation back.
      const token = job?.token ?? `engify-${randomUUID()}`;
      if (!job) ctx.journal.output(bulkJobKey(info.name), { token } as unknown as Json);
      const started = await startBulkPut(
        client,
        {
          table,
          bucket: staging.bucket,
          inputPrefix: staging.inputPrefix,
          reportPrefix: staging.reportPrefix,
          clientToken: token,
        },
        ctx.signal,
      );
      job = { token, arn: started.BulkOperationArn! };
      ctx.journal.output(bulkJobKey(info.name), job as unknown as Json);
      ctx.log(messages.vectors.bulkStarted(info.name, job.arn!));
    }
    const arn = job.arn!;
    description = await waitForBulk(client, arn, {
      intervalMs: cfg.bulkPollIntervalMs,
      signal: ctx.signal,
      onProgress: (d) =>
        ctx.progress({ done: d.ProcessedItemCount ?? 0, total: stagedItems, unit: 'items imported' }),
    });
    const status = description.BulkOperationStatus ?? 'UNKNOWN';
    if (!TERMINAL.has(status) || status === 'FAILED' || status === 'CANCELLED') {
      ctx.journal.output(bulkJobKey(info.name), { ...job, status } as unknown as Json);
      throw new EngifyError({
        code: 'VECTORS_BULK_FAILED',
        kind: 'system',
        message: messages.vectors.bulkFailed(
          info.name,
          arn,
          status,
          description.FailureCode,
          description.FailureMessage,
        ),
        hint: messages.vectors.bulkFailedHint,
      });
    }
  }
  const processed = description?.ProcessedItemCount ?? 0;
  const failed = description?.FailedItemCount ?? 0;
  ctx.journal.output(bulkResultKey(info.name), {
    arn: description?.BulkOperationArn ?? null,
    status: description?.BulkOperationStatus ?? 'NOTHING_TO_IMPORT',
    processed,
    failed,
    ...(failed > 0 ? { report: `s3://${staging.bucket}/${staging.reportPrefix}` } : {}),
  });
  ctx.log(messages.vectors.bulkDone(info.name, processed, failed));
  if (failed > 0) {
    ctx.log(
      messages.vectors.bulkFailedItems(info.name, failed, `s3://${staging.bucket}/${staging.reportPrefix}`),
    );
  }
  const cleaned = await deletePrefix(s3, staging.bucket, staging.inputPrefix, ctx.signal);
  if (failed === 0) await deletePrefix(s3, staging.bucket, staging.reportPrefix, ctx.signal);
  ctx.log(messages.vectors.bulkStagingCleaned(info.name, cleaned));
  ctx.journal.checkpoint(collectionStream, null, processed - failed, true);
  return { written: processed - failed, rejected, failed };
}
