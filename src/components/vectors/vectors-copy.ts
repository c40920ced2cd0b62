import type { Json } from '../../core/contracts.js';
import { EngifyError, toEngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { BatchWriter } from '../../providers/dynamodb/batch-writer.js';
import { deletePrefix } from '../../providers/dynamodb/bulk-import.js';
import {
  canonicalJson,
  decodeItem,
  encodePoint,
  float32BitsEqual,
  pointIdToString,
} from '../../providers/dynamodb/vector-item-codec.js';
import { vectorStore } from '../../providers/dynamodb/vector-store.js';
import type { CollectionInfo, QdrantPoint, QdrantSource } from '../../providers/qdrant/qdrant-source.js';
import { bulkCopyCollection, stageStreamOf, stagingFor, usesBulk } from './vectors-copy-bulk.js';
import { readLayout, requireDynamo, type VectorsLayout } from './vectors-layout.js';
import { measureCollection } from './vectors-sample.js';

// Phase 2: every point of every selected collection into the vector table, one checkpoint per scroll
// page (cursor = Qdrant's next_page_offset), writes as idempotent upserts. Points that cannot be stored
// (oversized, non-finite, wrong dimensions, zero under COSINE, unstorable payload) are rejected one by
// one and reported, never failing the run. A collection above target.dynamodb.bulkThresholdPoints goes
// through DynamoDB's bulk load from S3 instead (vectors-copy-bulk.ts); the plan says which path and why.

const ID = 'vectors.copy';
const streamOf = (collection: string) => `collection:${collection}`;
const rejectedKey = (collection: string) => `rejected:${collection}` as const;
const REJECTED_KEPT = 50;

interface RejectedReport {
  count: number;
  points: { id: string; reason: string }[];
}

function rejectedSoFar(ctx: StepContext, collection: string): RejectedReport {
  const v = ctx.journal.outputOf(ID, rejectedKey(collection)) as RejectedReport | undefined;
  return v ?? { count: 0, points: [] };
}

async function setup(ctx: StepContext) {
  const cfg = requireDynamo(ctx.config, ID);
  const read = await readLayout(ctx, ID);
  if (!read) {
    throw new EngifyError({
      code: 'CONFIG_SECTION_MISSING',
      kind: 'config',
      message: messages.config.needsSection('source.qdrant', ID),
    });
  }
  const client = await ctx.services.dynamodb();
  const store = vectorStore(client, {
    table: cfg.vectorTable,
    partitionedByField: cfg.partitionField !== undefined,
    signal: ctx.signal,
  });
  return { cfg, client, store, ...read };
}

/** Copies one collection from its last checkpoint; returns points written and rejected in this run. */
export async function copyCollection(
  ctx: StepContext,
  deps: { source: QdrantSource; layout: VectorsLayout; writer: BatchWriter; info: CollectionInfo },
): Promise<{ written: number; rejected: number }> {
  const { source, layout, writer, info } = deps;
  const stream = streamOf(info.name);
  const last = ctx.journal.lastCheckpoint(stream);
  if (last?.done) return { written: 0, rejected: 0 };
  const target = layout.targetOf(info.name);
  const report = rejectedSoFar(ctx, info.name);
  let written = 0;
  let rejected = 0;
  let done = last?.count ?? 0;
  const batches = source.points(info).read({ ...(last ? { after: last.cursor } : {}), signal: ctx.signal });
  for await (const batch of batches) {
    const ok: { key: string; item: Parameters<BatchWriter['put']>[0][number]['item'] }[] = [];
    const refused: { id: string; reason: string }[] = [];
    for (const point of batch.items as QdrantPoint[]) {
      const encoded = encodePoint(point, target, layout.item);
      if (encoded.ok) ok.push(encoded);
      else refused.push({ id: pointIdToString(point.id), reason: encoded.reason });
    }
    await writer.put(ok);
    written += ok.length;
    if (refused.length > 0) {
      rejected += refused.length;
      report.count += refused.length;
      report.points = [...report.points, ...refused].slice(0, REJECTED_KEPT);
      for (const r of refused.slice(0, 5)) ctx.log(messages.vectors.pointRejected(info.name, r.id, r.reason));
      ctx.journal.output(rejectedKey(info.name), report as unknown as Json);
    }
    done += batch.items.length;
    ctx.journal.checkpoint(stream, batch.cursor, batch.items.length, batch.cursor === null);
    ctx.progress({ done, unit: 'points' });
  }
  return { written, rejected };
}

/** One collection: copied already (`noop`), or to copy by the path plan chose, with what it counted. */
type CopyDetails = {
  collection: string;
  points?: number;
  dimensions?: number;
  distance?: string;
  vectorAttribute?: string;
  index?: string;
  path?: string;
  staging?: string;
  resumeAfter?: number;
};
type VectorsCopyAction = PlannedAction<'collection', CopyDetails>;

export const vectorsCopyStep: Step<VectorsCopyAction> = {
  id: ID,
  phase: 2,
  component: 'vectors',
  title: messages.vectors.copyTitle,
  dependsOn: ['vectors.table'],
  enabled: (config) => config.source.qdrant !== undefined && config.target.dynamodb !== undefined,

  async plan(ctx) {
    const { cfg, source, layout } = await setup(ctx);
    const counts = new Map<string, number>();
    for (const info of layout.collections) counts.set(info.name, await source.count(info.name));
    const changes: VectorsCopyAction[] = [];
    for (const info of layout.collections) {
      const count = counts.get(info.name) ?? 0;
      const last = ctx.journal.lastCheckpoint(streamOf(info.name));
      const target = layout.targetOf(info.name);
      const resource = messages.vectors.collectionResource(info.name, cfg.vectorTable);
      if (last?.done) {
        changes.push({
          action: 'noop',
          resource,
          subject: 'collection',
          summary: messages.vectors.planCopied(info.name, last.count),
          details: { collection: info.name },
        });
        continue;
      }
      const bulk = usesBulk(cfg, count);
      const staging = bulk ? stagingFor(ctx.config, info.name) : undefined;
      const warnings: string[] = [];
      if (info.sparseVectors.length > 0)
        warnings.push(messages.vectors.sparseSkipped(info.name, info.sparseVectors));
      if (info.otherVectors.length > 0)
        warnings.push(messages.vectors.otherVectorsSkipped(info.name, info.otherVectors));
      const why = staging
        ? messages.vectors.bulkChosen(info.name, count, cfg.bulkThresholdPoints, staging.location)
        : messages.vectors.batchChosen(info.name, count, cfg.bulkThresholdPoints);
      changes.push({
        action: 'copy',
        resource,
        subject: 'collection',
        summary: `${messages.vectors.planCopy(info.name, count, cfg.vectorTable, target.indexName, last?.count)}. ${why}`,
        details: {
          collection: info.name,
          points: count,
          dimensions: info.dims,
          distance: target.distance,
          vectorAttribute: target.vectorAttribute,
          index: target.indexName,
          path: staging ? 'bulk-import (StartBulkPutItems)' : 'BatchWriteItem',
          ...(staging ? { staging: staging.location } : {}),
          ...(last ? { resumeAfter: last.count } : {}),
        },
        ...(warnings.length > 0 ? { warnings } : {}),
        measures: [
          await measureCollection(
            source,
            info,
            count,
            target,
            layout.item,
            staging ? 'bulk-import' : 'batch-write',
            ctx.signal,
          ),
        ],
      });
    }
    return changes;
  },

  async apply(ctx, change) {
    const { cfg, client, source, layout } = await setup(ctx);
    const wanted = change.details.collection;
    const infos = layout.collections.filter((c) => c.name === wanted);
    if (infos.length === 0) {
      throw new EngifyError({
        code: 'QDRANT_COLLECTION_GONE',
        kind: 'system',
        message: messages.vectors.collectionGone(wanted, new URL(ctx.config.source.qdrant!.url).host),
        hint: messages.vectors.collectionGoneHint,
      });
    }
    const planned = change.details;
    const writer = new BatchWriter(client, {
      table: cfg.vectorTable,
      concurrency: cfg.writeConcurrency,
      writesPerSecond: cfg.writesPerSecond,
      signal: ctx.signal,
    });
    for (const info of infos) {
      try {
        // The path the plan chose; without one (resuming a started stage), decide again.
        const bulk =
          planned.path !== undefined
            ? planned.path.startsWith('bulk')
            : ctx.journal.lastCheckpoint(stageStreamOf(info.name)) !== undefined ||
              usesBulk(cfg, await source.count(info.name));
        const { written, rejected } = bulk
          ? await bulkCopyCollection(ctx, { source, layout, info, collectionStream: streamOf(info.name) })
          : await copyCollection(ctx, { source, layout, writer, info });
        ctx.log(messages.vectors.copied(info.name, written, rejected));
      } catch (error) {
        if (error instanceof EngifyError && error.code === 'QDRANT_COLLECTION_GONE') {
          const last = ctx.journal.lastCheckpoint(streamOf(info.name));
          throw new EngifyError({
            code: error.code,
            kind: 'system',
            message: messages.vectors.goneMidCopy(info.name, last?.count ?? 0),
            hint: messages.vectors.collectionGoneHint,
            cause: error,
          });
        }
        throw error;
      }
    }
  },

  async verify(ctx) {
    const checks: Check[] = [];
    let env: Awaited<ReturnType<typeof setup>>;
    try {
      env = await setup(ctx);
    } catch (error) {
      const e = toEngifyError(error, {
        code: 'VECTORS_VERIFY',
        kind: 'system',
        message: messages.vectors.verifyFailed,
      });
      return [
        {
          name: 'vectors.copy sources reachable',
          expected: true,
          actual: false,
          ok: false,
          hint: e.hint ?? e.message,
        },
      ];
    }
    const { cfg, source, layout, store } = env;
    for (const info of layout.collections) {
      try {
        const target = layout.targetOf(info.name);
        const report = rejectedSoFar(ctx, info.name);
        const qCount = await source.count(info.name);
        const dCount = await store.count(info.name);
        checks.push({
          name: `vectors ${info.name}: count`,
          expected: qCount - report.count,
          actual: dCount,
          ok: dCount === qCount - report.count,
          ...(dCount === qCount - report.count ? {} : { hint: messages.vectors.countHint(info.name) }),
        });
        if (report.count > 0) {
          checks.push({
            name: `vectors ${info.name}: rejected points`,
            expected: 0,
            actual: report as unknown as Json,
            ok: false,
            hint: messages.vectors.rejectedHint(report.count),
          });
        }
        const sample = qCount === 0 ? [] : await source.sample(info, cfg.verifySampleSize);
        const partitionOf = (p: QdrantPoint) =>
          cfg.partitionField ? String(p.payload[cfg.partitionField] ?? '') : undefined;
        const items = await store.get(sample.map((p) => store.keyOf(info.name, p.id, partitionOf(p))));
        const byId = new Map(items.map((i) => [i.point_id?.S ?? '', decodeItem(i, target.vectorAttribute)]));
        const bad: string[] = [];
        for (const p of sample) {
          const got = byId.get(pointIdToString(p.id));
          const want = Array.isArray(p.vector) ? Float32Array.from(p.vector as number[]) : undefined;
          const same =
            got?.vector !== undefined &&
            want !== undefined &&
            float32BitsEqual(got.vector, want) &&
            canonicalJson(got.payload) === canonicalJson(p.payload);
          if (!same) bad.push(pointIdToString(p.id));
        }
        const rejectedIds = new Set(report.points.map((r) => r.id));
        const mismatched = bad.filter((id) => !rejectedIds.has(id));
        checks.push({
          name: `vectors ${info.name}: sampled points bit-exact (float32) with equal payload`,
          expected: sample.length,
          actual: sample.length - mismatched.length,
          ok: mismatched.length === 0,
          ...(mismatched.length > 0 ? { hint: messages.vectors.sampleHint(mismatched.slice(0, 10)) } : {}),
        });
        let hits = 0;
        let total = 0;
        for (const p of sample) {
          if (!Array.isArray(p.vector) || rejectedIds.has(pointIdToString(p.id))) continue;
          const part = partitionOf(p);
          const expected = await source.search(
            info,
            p.vector as number[],
            10,
            cfg.partitionField
              ? { field: cfg.partitionField, value: p.payload[cfg.partitionField] ?? null }
              : undefined,
          );
          const got = new Set(
            await store.search(
              target.indexName,
              Float32Array.from(p.vector as number[]),
              10,
              cfg.partitionField ? { pk: part ?? '', collection: info.name } : { pk: info.name },
            ),
          );
          // Points rejected (and reported) on purpose are not held against the index's recall.
          const storable = expected.filter((id) => !rejectedIds.has(pointIdToString(id)));
          hits += storable.filter((id) => got.has(pointIdToString(id))).length;
          total += storable.length;
        }
        const recall = total === 0 ? 1 : hits / total;
        checks.push({
          name: `vectors ${info.name}: recall@10 (SearchVectors vs Qdrant)`,
          expected: cfg.recallThreshold,
          actual: Number(recall.toFixed(4)),
          ok: recall >= cfg.recallThreshold,
          ...(recall >= cfg.recallThreshold
            ? {}
            : { hint: messages.vectors.recallHint(cfg.recallThreshold) }),
        });
      } catch (error) {
        const e = toEngifyError(error, {
          code: 'VECTORS_VERIFY',
          kind: 'system',
          message: messages.vectors.verifyFailed,
        });
        checks.push({
          name: `vectors ${info.name}: verify`,
          expected: true,
          actual: false,
          ok: false,
          hint: `${e.message} ${e.hint ?? ''}`.trim(),
        });
      }
    }
    return checks;
  },

  async rollback(ctx) {
    const cfg = requireDynamo(ctx.config, ID);
    const store = vectorStore(await ctx.services.dynamodb(), {
      table: cfg.vectorTable,
      partitionedByField: cfg.partitionField !== undefined,
      signal: ctx.signal,
    });
    const streams = new Set<string>();
    for (const r of ctx.journal.records()) if (r.type === 'checkpoint') streams.add(r.stream);
    for (const stream of streams) {
      if (!ctx.journal.lastCheckpoint(stream)) continue;
      if (stream.startsWith('bulk-stage:')) {
        // Staged objects left by an unfinished bulk import: this tool wrote them, so it removes them.
        const collection = stream.slice('bulk-stage:'.length);
        const staging = stagingFor(ctx.config, collection);
        const n = await deletePrefix(
          await ctx.services.s3(),
          staging.bucket,
          staging.inputPrefix,
          ctx.signal,
        );
        ctx.log(messages.vectors.bulkStagingCleaned(collection, n));
        ctx.journal.undone({ stream });
        continue;
      }
      if (!stream.startsWith('collection:')) continue;
      const collection = stream.replace(/^collection:/, '');
      try {
        const n = await store.deleteOwn(collection, cfg.writeConcurrency);
        ctx.log(messages.vectors.itemsDeleted(collection, n));
      } catch (error) {
        if ((error as { name?: string })?.name !== 'ResourceNotFoundException') throw error;
      }
      ctx.journal.undone({ stream });
    }
  },
};
