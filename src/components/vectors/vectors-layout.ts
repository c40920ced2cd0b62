import type { VectorIndex } from '@aws-sdk/client-dynamodb';
import type { Config, DynamoDbConfig } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { StepContext } from '../../core/step.js';
import type { Distance, EncodeTarget, ItemLayout } from '../../providers/dynamodb/vector-item-codec.js';
import {
  type CollectionInfo,
  createQdrantSource,
  type QdrantSource,
} from '../../providers/qdrant/qdrant-source.js';

// Shared by vectors.table and vectors.copy: which vector index (and attribute) each collection maps to.
// One index per (dimensions, distance); names carry both so adding a collection never renames one.

export interface IndexGroup {
  indexName: string;
  attribute: string;
  dims: number;
  distance: Distance;
  collections: string[];
}

export interface VectorsLayout {
  collections: CollectionInfo[];
  groups: IndexGroup[];
  targetOf(collection: string): EncodeTarget & { indexName: string };
  item: ItemLayout;
}

const DISTANCES: Record<string, Distance | undefined> = {
  Cosine: 'COSINE',
  Euclid: 'EUCLIDEAN',
  Dot: 'DOT_PRODUCT',
};

export function mapDistance(info: CollectionInfo): Distance {
  const d = DISTANCES[info.distance];
  if (!d) {
    throw new EngifyError({
      code: 'VECTORS_DISTANCE_UNSUPPORTED',
      kind: 'config',
      message: messages.vectors.distanceUnsupported(info.name, info.distance),
      hint: messages.vectors.distanceUnsupportedHint,
    });
  }
  return d;
}

export function checkCollection(info: CollectionInfo, ignoreSparse: boolean): void {
  if (info.multivector) {
    throw new EngifyError({
      code: 'VECTORS_MULTIVECTOR',
      kind: 'config',
      message: messages.vectors.multivector(info.name),
      hint: messages.vectors.multivectorHint,
    });
  }
  if (info.sparseVectors.length > 0 && !ignoreSparse) {
    throw new EngifyError({
      code: 'VECTORS_SPARSE',
      kind: 'config',
      message: messages.vectors.sparse(info.name, info.sparseVectors),
      hint: messages.vectors.sparseHint,
    });
  }
  if (!Number.isInteger(info.dims) || info.dims < 1 || info.dims > 4096) {
    throw new EngifyError({
      code: 'VECTORS_DIMENSIONS',
      kind: 'config',
      message: messages.vectors.dimensions(info.name, info.dims),
      hint: messages.vectors.dimensionsHint,
    });
  }
}

export function buildLayout(
  collections: CollectionInfo[],
  cfg: DynamoDbConfig,
  ignoreSparse: boolean,
): VectorsLayout {
  const groups = new Map<string, IndexGroup>();
  const byCollection = new Map<string, IndexGroup>();
  for (const info of collections) {
    checkCollection(info, ignoreSparse);
    const distance = mapDistance(info);
    const suffix = `${info.dims}-${distance.toLowerCase().replace('_', '-')}`;
    let group = groups.get(suffix);
    if (!group) {
      group = {
        indexName: `${cfg.indexName}-${suffix}`,
        attribute: `${cfg.vectorAttribute}_${suffix.replace(/-/g, '_')}`,
        dims: info.dims,
        distance,
        collections: [],
      };
      groups.set(suffix, group);
    }
    group.collections.push(info.name);
    byCollection.set(info.name, group);
  }
  return {
    collections,
    groups: [...groups.values()],
    item: {
      ...(cfg.partitionField ? { partitionField: cfg.partitionField } : {}),
      filterFields: cfg.filterFields,
    },
    targetOf(collection) {
      const g = byCollection.get(collection);
      if (!g) throw new Error(`collection ${collection} is not in the vectors layout`);
      return {
        collection,
        dims: g.dims,
        distance: g.distance,
        vectorAttribute: g.attribute,
        indexName: g.indexName,
      };
    },
  };
}

/** The VectorIndexes definition of a group: the partition attribute as HASH, filters as INLINE_FILTER. */
export function vectorIndexOf(group: IndexGroup, cfg: DynamoDbConfig): VectorIndex {
  const filters = [...(cfg.partitionField ? ['collection'] : []), ...cfg.filterFields];
  return {
    IndexName: group.indexName,
    VectorAttribute: { AttributeName: group.attribute },
    Dimensions: group.dims,
    DistanceFunction: group.distance,
    SearchSchema: [
      { AttributeName: 'pk', SearchSchemaElementType: 'HASH' },
      ...filters.map((f) => ({ AttributeName: f, SearchSchemaElementType: 'INLINE_FILTER' as const })),
    ],
    Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['collection', 'point_id'] },
  };
}

export function requireDynamo(config: Config, stepId: string): DynamoDbConfig {
  const cfg = config.target.dynamodb;
  if (!cfg) {
    throw new EngifyError({
      code: 'CONFIG_SECTION_MISSING',
      kind: 'config',
      message: messages.config.needsSection('target.dynamodb', stepId),
    });
  }
  return cfg;
}

export async function qdrantSourceFor(ctx: StepContext): Promise<QdrantSource | undefined> {
  const q = ctx.config.source.qdrant;
  return q ? createQdrantSource(q, ctx.signal) : undefined;
}

/** Reads the selected collections and builds the layout; undefined when no Qdrant source is configured. */
export async function readLayout(
  ctx: StepContext,
  stepId: string,
): Promise<{ source: QdrantSource; layout: VectorsLayout } | undefined> {
  const cfg = requireDynamo(ctx.config, stepId);
  const source = await qdrantSourceFor(ctx);
  if (!source) return undefined;
  const names = await source.collections();
  const infos: CollectionInfo[] = [];
  for (const name of names) infos.push(await source.describe(name));
  return { source, layout: buildLayout(infos, cfg, ctx.config.source.qdrant?.ignoreSparseVectors ?? false) };
}
