import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { messages } from '../../core/messages.js';
import { withRetry } from '../../core/retry.js';
import type { StepContext } from '../../core/step.js';
import type { ComponentPass, PassSummary } from '../../core/sync-contracts.js';
import {
  contentHash,
  decodeItem,
  encodePoint,
  type Item,
  keyOf,
  MIGRATED_BY,
  pointIdToString,
  toFloat32,
} from '../../providers/dynamodb/vector-item-codec.js';
import { vectorStore } from '../../providers/dynamodb/vector-store.js';
import {
  createQdrantPointWriter,
  type QdrantPointWriter,
  type ReversePoint,
} from '../../providers/qdrant/point-writer.js';
import type { CollectionInfo, QdrantSource } from '../../providers/qdrant/qdrant-source.js';
import { vectorsIncrementalPass } from './vectors-incremental.js';
import { readLayout, requireDynamo, type VectorsLayout } from './vectors-layout.js';

// The vectors component's sync passes.
// Forward (Qdrant -> DynamoDB, before cutover): vectorsIncrementalPass over every selected collection,
// each collection's watermark kept as the mark `watermark:<collection>` of scope 'sync.vectors'.
// Reverse (DynamoDB -> Qdrant, after cutover): an item counts as this tool's and unchanged when it carries
// MIGRATED_BY and a content_hash equal to the hash of the vector and payload it holds; every other item
// (written by the app, or changed by it) is decoded and upserted into Qdrant, then re-marked with the
// hash of what Qdrant now holds (vector and payload set to Qdrant's copy in the same conditional
// update), so neither the next reverse pass nor a forward pass after a rollback writes it again.
// Points deleted from DynamoDB are never deleted in Qdrant: the tool did not create them there.
// FIXME: like the forward pass, the id sets are held in memory (O(points) ids per collection).

const STREAM = 'sync.vectors';
const REVERSE_BATCH = 64;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const watermarkKey = (collection: string) => `watermark:${collection}`;

const emptySummary = (): PassSummary => ({ applied: 0, deleted: 0, unchanged: 0, refused: [] });

export const vectorsForwardPass: ComponentPass = async (ctx) => {
  const summary = emptySummary();
  requireDynamo(ctx.config, STREAM);
  const read = await readLayout(ctx, STREAM);
  if (!read) return summary;
  for (const info of read.layout.collections) {
    ctx.signal.throwIfAborted();
    const previous = ctx.marks(STREAM).get(watermarkKey(info.name));
    const result = await vectorsIncrementalPass(ctx, {
      collection: info.name,
      ...(typeof previous === 'number' ? { watermark: previous } : {}),
    });
    if (result.watermark !== undefined && result.watermark !== previous)
      ctx.marks(STREAM).set(watermarkKey(info.name), result.watermark);
    summary.applied += result.upserted;
    summary.deleted += result.deleted;
    summary.unchanged += result.unchanged;
    for (const r of result.rejected) summary.refused.push({ key: keyOf(info.name, r.id), reason: r.reason });
    if (result.upserted + result.deleted > 0)
      ctx.log(messages.vectors.forwardPassed(info.name, result.upserted, result.deleted, result.unchanged));
  }
  return summary;
};

interface Pending {
  item: Item;
  point: ReversePoint;
  /** Hash of the vector and payload the item held when read. */
  hash: string;
}

/** A DynamoDB item turned back into a Qdrant point, or the reason it cannot be. */
type Decoded = { ok: true; point: ReversePoint; hash: string } | { ok: false; reason: string };

function decodeForQdrant(
  item: Item,
  idString: string,
  target: ReturnType<VectorsLayout['targetOf']>,
): Decoded {
  let id: number | string;
  if (/^\d+$/.test(idString)) {
    const n = Number(idString);
    if (!Number.isSafeInteger(n)) return { ok: false, reason: messages.vectors.reverseIdTooLarge(idString) };
    id = n;
  } else if (UUID.test(idString)) {
    id = idString;
  } else {
    return { ok: false, reason: messages.vectors.reverseNoPointId(item.sk?.S ?? '') };
  }
  const list = item[target.vectorAttribute]?.L;
  if (!list || list.length === 0)
    return { ok: false, reason: messages.vectors.reverseNoVector(target.vectorAttribute) };
  if (item.payload !== undefined && item.payload.M === undefined)
    return { ok: false, reason: messages.vectors.reverseBadPayload };
  const decoded = decodeItem(item, target.vectorAttribute);
  // Float32 of each stored number: exactly what DynamoDB's vector index uses, and what Qdrant stores.
  const checked = toFloat32(Array.from(decoded.vector ?? []), target);
  if (typeof checked === 'string') return { ok: false, reason: checked };
  return {
    ok: true,
    point: { id, vector: Array.from(checked), payload: decoded.payload },
    hash: contentHash(checked, decoded.payload),
  };
}

/** Ids in Qdrant that the forward copy could have stored (the others were refused there and reported). */
async function copyableIds(
  ctx: StepContext,
  source: QdrantSource,
  info: CollectionInfo,
  layout: VectorsLayout,
): Promise<Set<string>> {
  const target = layout.targetOf(info.name);
  const ids = new Set<string>();
  for await (const batch of source.points(info).read({ signal: ctx.signal })) {
    for (const p of batch.items) if (encodePoint(p, target, layout.item).ok) ids.add(pointIdToString(p.id));
  }
  return ids;
}

async function reverseCollection(
  ctx: StepContext,
  read: { source: QdrantSource; layout: VectorsLayout },
  info: CollectionInfo,
  writer: QdrantPointWriter,
  summary: PassSummary,
): Promise<void> {
  const cfg = requireDynamo(ctx.config, STREAM);
  const { source, layout } = read;
  const target = layout.targetOf(info.name);
  const client = await ctx.services.dynamodb();
  const { UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
  const store = vectorStore(client, {
    table: cfg.vectorTable,
    partitionedByField: cfg.partitionField !== undefined,
    signal: ctx.signal,
  });
  const inQdrant = await copyableIds(ctx, source, info, layout);
  // Vectors a Qdrant upsert would erase on an existing point, since DynamoDB holds only one of them.
  const notCarried = [...info.otherVectors, ...info.sparseVectors];
  const inDynamo = new Set<string>();
  let applied = 0;
  let unchanged = 0;
  const refusedBefore = summary.refused.length;

  const flush = async (pending: Pending[]) => {
    if (pending.length === 0) return;
    await writer.upsert(
      info.name,
      info.vectorName,
      pending.map((p) => p.point),
    );
    // Re-read what Qdrant stored (it normalises Cosine vectors), and make the DynamoDB item hold exactly
    // that with the matching hash and marker, unless the app changed the item in the meantime.
    const stored = await source.retrieve(
      info,
      pending.map((p) => p.point.id),
    );
    const byId = new Map(stored.map((p) => [pointIdToString(p.id), p]));
    for (const { item, point, hash } of pending) {
      const id = pointIdToString(point.id);
      const now = byId.get(id);
      const encoded = now ? encodePoint(now, target, layout.item) : undefined;
      if (!encoded?.ok) continue; // deleted in Qdrant meanwhile: the next pass carries it again
      const names: Record<string, string> = {
        '#v': target.vectorAttribute,
        '#p': 'payload',
        '#h': 'content_hash',
        '#m': 'migrated_by',
      };
      const values: Record<string, AttributeValue> = {
        ':v': encoded.item[target.vectorAttribute]!,
        ':p': encoded.item.payload!,
        ':h': encoded.item.content_hash!,
        ':m': encoded.item.migrated_by!,
        ':ov': item[target.vectorAttribute]!,
      };
      // Strong guard: the vector and payload are still those we carried (DynamoDB compares lists and maps
      // with `=`). Where the service cannot evaluate that (dynalite compares only scalars), the item is
      // re-read and compared here, then guarded by the marker and hash it held.
      const strong = `#v = :ov AND ${item.payload ? '#p = :op' : 'attribute_not_exists(#p)'}`;
      const strongValues = { ...values, ...(item.payload ? { ':op': item.payload } : {}) };
      const weakValues: Record<string, AttributeValue> = { ...values };
      delete weakValues[':ov'];
      const guards: string[] = [];
      if (item.content_hash) {
        weakValues[':oh'] = item.content_hash;
        guards.push('#h = :oh');
      } else guards.push('attribute_not_exists(#h)');
      if (item.migrated_by) {
        weakValues[':om'] = item.migrated_by;
        guards.push('#m = :om');
      } else guards.push('attribute_not_exists(#m)');
      const update = (condition: string, vals: Record<string, AttributeValue>) =>
        withRetry(
          () =>
            client.send(
              new UpdateItemCommand({
                TableName: cfg.vectorTable,
                Key: { pk: item.pk!, sk: item.sk! },
                UpdateExpression: 'SET #v = :v, #p = :p, #h = :h, #m = :m',
                ConditionExpression: condition,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: vals,
              }),
            ),
          { signal: ctx.signal },
        );
      const conditionFailed = (error: unknown) =>
        (error as { name?: string })?.name === 'ConditionalCheckFailedException';
      try {
        await update(strong, strongValues);
      } catch (error) {
        if (!conditionFailed(error)) throw error;
        const [again] = await store.get([{ pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' }]);
        const same =
          again !== undefined &&
          again.content_hash?.S === item.content_hash?.S &&
          again.migrated_by?.S === item.migrated_by?.S &&
          (() => {
            const d = decodeForQdrant(again, id, target);
            return d.ok && d.hash === hash;
          })();
        // Otherwise the app rewrote the item after we read it: it stays unmarked and the next pass
        // carries its new content.
        if (same) {
          try {
            await update(guards.join(' AND '), weakValues);
          } catch (e) {
            if (!conditionFailed(e)) throw e;
          }
        }
      }
      applied++;
    }
  };

  let pending: Pending[] = [];
  for await (const page of store.itemsOf(info.name)) {
    ctx.signal.throwIfAborted();
    for (const item of page) {
      const idString = (item.point_id?.S ?? '').toLowerCase();
      if (idString) inDynamo.add(idString);
      const key =
        /^\d+$/.test(idString) || UUID.test(idString)
          ? keyOf(info.name, idString)
          : `${info.name}/${item.sk?.S ?? ''}`;
      const decoded = decodeForQdrant(item, idString, target);
      if (!decoded.ok) {
        summary.refused.push({ key, reason: decoded.reason });
        continue;
      }
      if (item.migrated_by?.S === MIGRATED_BY && item.content_hash?.S === decoded.hash) {
        unchanged++;
        continue;
      }
      if (notCarried.length > 0 && inQdrant.has(idString)) {
        summary.refused.push({ key, reason: messages.vectors.reverseWouldDropVectors(notCarried) });
        continue;
      }
      pending.push({ item, point: decoded.point, hash: decoded.hash });
      if (pending.length >= REVERSE_BATCH) {
        await flush(pending);
        pending = [];
      }
    }
  }
  await flush(pending);

  for (const id of inQdrant) {
    if (!inDynamo.has(id))
      summary.refused.push({ key: keyOf(info.name, id), reason: messages.vectors.reverseDeletedRefused });
  }
  summary.applied += applied;
  summary.unchanged += unchanged;
  const refused = summary.refused.length - refusedBefore;
  if (applied + refused > 0) ctx.log(messages.vectors.reversePassed(info.name, applied, unchanged, refused));
}

export const vectorsReversePass: ComponentPass = async (ctx) => {
  const summary = emptySummary();
  requireDynamo(ctx.config, STREAM);
  const read = await readLayout(ctx, STREAM);
  const qdrant = ctx.config.source.qdrant;
  if (!read || !qdrant) return summary;
  const writer = await createQdrantPointWriter(qdrant, ctx.signal);
  for (const info of read.layout.collections) {
    ctx.signal.throwIfAborted();
    await reverseCollection(ctx, read, info, writer, summary);
  }
  return summary;
};
