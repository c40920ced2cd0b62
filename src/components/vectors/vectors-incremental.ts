import type { Json } from '../../core/contracts.js';
import type { StepContext } from '../../core/step.js';
import { BatchWriter } from '../../providers/dynamodb/batch-writer.js';
import { encodePoint, pointIdToString } from '../../providers/dynamodb/vector-item-codec.js';
import { vectorStore } from '../../providers/dynamodb/vector-store.js';
import type { QdrantPoint } from '../../providers/qdrant/qdrant-source.js';
import { readLayout, requireDynamo } from './vectors-layout.js';

// One incremental pass of the vectors component, for the sync engine: points changed since a watermark
// (source.qdrant.watermarkField, a numeric payload field such as an epoch `updated_at`), or, without one,
// a diff of content hashes against the items this tool wrote; deletions found by comparing id sets.
// FIXME: the id sets (and, in hash mode, the id -> hash map) are held in memory: O(points) ids, not O(1).

export interface VectorsPassResult {
  collection: string;
  upserted: number;
  deleted: number;
  /** Points read whose DynamoDB item already holds the same content (hash equal): not written. */
  unchanged: number;
  rejected: { id: string; reason: string }[];
  /** The new watermark (largest value seen), to pass to the next pass. */
  watermark?: number;
}

export async function vectorsIncrementalPass(
  ctx: StepContext,
  options: { collection: string; watermark?: number },
): Promise<VectorsPassResult> {
  const cfg = requireDynamo(ctx.config, 'vectors.sync');
  const read = await readLayout(ctx, 'vectors.sync');
  if (!read) throw new Error('vectorsIncrementalPass needs source.qdrant');
  const { source, layout } = read;
  const info = layout.collections.find((c) => c.name === options.collection);
  if (!info) throw new Error(`collection ${options.collection} is not selected by source.qdrant.collections`);
  const target = layout.targetOf(info.name);
  const client = await ctx.services.dynamodb();
  const store = vectorStore(client, {
    table: cfg.vectorTable,
    partitionedByField: cfg.partitionField !== undefined,
    signal: ctx.signal,
  });
  const writer = new BatchWriter(client, {
    table: cfg.vectorTable,
    concurrency: cfg.writeConcurrency,
    writesPerSecond: cfg.writesPerSecond,
    signal: ctx.signal,
  });
  const field = ctx.config.source.qdrant?.watermarkField;

  // What DynamoDB holds (ids this tool wrote, with their content hashes and keys).
  const held = new Map<string, { hash: string; pk: string; sk: string }>();
  for await (const page of store.itemsOf(info.name, {
    attributes: ['pk', 'sk', 'point_id', 'content_hash'],
    ownOnly: true,
  })) {
    for (const i of page)
      held.set(i.point_id?.S ?? '', { hash: i.content_hash?.S ?? '', pk: i.pk?.S ?? '', sk: i.sk?.S ?? '' });
  }

  const result: VectorsPassResult = {
    collection: info.name,
    upserted: 0,
    deleted: 0,
    unchanged: 0,
    rejected: [],
  };
  let watermark = options.watermark;
  const seen = new Set<string>();
  const write = async (points: QdrantPoint[]) => {
    const puts = [];
    for (const p of points) {
      const id = pointIdToString(p.id);
      seen.add(id);
      const e = encodePoint(p, target, layout.item);
      if (!e.ok) {
        result.rejected.push({ id, reason: e.reason });
        continue;
      }
      const w = field ? p.payload[field] : undefined;
      if (typeof w === 'number' && (watermark === undefined || w > watermark)) watermark = w;
      // Equal content is never rewritten, in either mode: a point the reverse pass carried into Qdrant
      // (whose item it re-marked with the matching hash) must not bounce back as a fresh write.
      if (held.get(id)?.hash === e.item.content_hash?.S) {
        result.unchanged++;
        continue;
      }
      puts.push(e);
    }
    await writer.put(puts);
    result.upserted += puts.length;
  };

  if (field) {
    const filter: Record<string, Json> | undefined =
      options.watermark === undefined
        ? undefined
        : { must: [{ key: field, range: { gt: options.watermark } }] };
    for await (const batch of source.points(info, undefined, filter).read({ signal: ctx.signal }))
      await write(batch.items);
    // Deletions: every id still in Qdrant.
    seen.clear();
    for await (const batch of source.points(info).read({ signal: ctx.signal })) {
      for (const p of batch.items) seen.add(pointIdToString(p.id));
    }
  } else {
    for await (const batch of source.points(info).read({ signal: ctx.signal })) await write(batch.items);
  }

  const gone = [...held.entries()].filter(([id]) => !seen.has(id));
  await writer.delete(gone.map(([, k]) => ({ pk: { S: k.pk }, sk: { S: k.sk } })));
  result.deleted = gone.length;
  if (watermark !== undefined) result.watermark = watermark;
  return result;
}
