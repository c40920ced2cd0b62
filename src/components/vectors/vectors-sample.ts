import type { Measure } from '../../core/measure.js';
import {
  attributeSize,
  type EncodeTarget,
  encodePoint,
  type ItemLayout,
} from '../../providers/dynamodb/vector-item-codec.js';
import type { CollectionInfo, QdrantSource } from '../../providers/qdrant/qdrant-source.js';

// What one collection will weigh in DynamoDB, for the cost estimate in the plan: a random sample of
// points (Qdrant's `sample: random` query, one request) encoded exactly as the copy encodes them and
// sized by DynamoDB's own counting rules (the codec's itemSize), so payloads, id lengths and the
// digits of real vectors count as they will. A mean over up to SAMPLE points is what an estimate needs.

const SAMPLE = 100;

export async function measureCollection(
  source: QdrantSource,
  info: CollectionInfo,
  points: number,
  target: EncodeTarget,
  item: ItemLayout,
  copyPath: 'batch-write' | 'bulk-import',
  signal: AbortSignal,
): Promise<Extract<Measure, { kind: 'vectors' }>> {
  let sampled = 0;
  let itemBytes = 0;
  let vectorBytes = 0;
  if (points > 0 && !signal.aborted) {
    for (const point of await source.sample(info, Math.min(SAMPLE, points))) {
      const encoded = encodePoint(point, target, item);
      if (!encoded.ok) continue;
      const vector = encoded.item[target.vectorAttribute];
      sampled++;
      itemBytes += encoded.bytes;
      vectorBytes += Buffer.byteLength(target.vectorAttribute) + (vector ? attributeSize(vector) : 0);
    }
  }
  return {
    kind: 'vectors',
    collection: info.name,
    points,
    dimensions: info.dims,
    sampledPoints: sampled,
    avgItemBytes: sampled > 0 ? Math.round(itemBytes / sampled) : null,
    avgVectorBytes: sampled > 0 ? Math.round(vectorBytes / sampled) : null,
    vectorAttribute: target.vectorAttribute,
    copyPath,
  };
}
