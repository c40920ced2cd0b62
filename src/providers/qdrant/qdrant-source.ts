import type { QdrantConfig } from '../../config/schema.js';
import type { Batch, BatchSource, Cursor, Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { withRetry } from '../../core/retry.js';
import { isGlob, matchesAny } from './glob.js';
import { openQdrantClient, qdrantTransient } from './qdrant-client.js';

// The Qdrant source: the collections the config selects, their vector config, exact counts, a scroll
// with vectors and payload whose `next_page_offset` is the resumable cursor, and search (for recall).

export type PointId = number | string;

export interface QdrantPoint {
  id: PointId;
  /** The dense vector chosen for the collection (see CollectionInfo.vectorName), as Qdrant returned it. */
  vector: unknown;
  payload: Record<string, Json>;
}

export type QdrantDistance = 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan';

export interface CollectionInfo {
  name: string;
  dims: number;
  distance: QdrantDistance;
  /** Name of the dense vector migrated; undefined for the unnamed default vector. */
  vectorName?: string;
  /** Dense vectors not migrated (several named vectors and a chosen one). */
  otherVectors: string[];
  sparseVectors: string[];
  multivector: boolean;
}

export interface QdrantSource {
  /** Names matched by source.qdrant.collections, sorted; a missing explicit name is a config error. */
  collections(): Promise<string[]>;
  describe(name: string): Promise<CollectionInfo>;
  count(name: string): Promise<number>;
  exists(name: string): Promise<boolean>;
  points(info: CollectionInfo, pageSize?: number, filter?: Record<string, Json>): BatchSource<QdrantPoint>;
  /** Random sample of points with vectors and payload (Qdrant's `sample: random` query). */
  sample(info: CollectionInfo, n: number): Promise<QdrantPoint[]>;
  /** Ids of the `limit` nearest points to `vector`, optionally restricted to payload `field` = `value`. */
  search(
    info: CollectionInfo,
    vector: number[],
    limit: number,
    match?: { field: string; value: Json },
  ): Promise<PointId[]>;
  retrieve(info: CollectionInfo, ids: PointId[]): Promise<QdrantPoint[]>;
}

interface VectorParamsLike {
  size?: number;
  distance?: string;
  multivector_config?: unknown;
}

function statusOf(error: unknown): number | undefined {
  const s = (error as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

export async function createQdrantSource(config: QdrantConfig, signal?: AbortSignal): Promise<QdrantSource> {
  const client = await openQdrantClient(config);
  const host = new URL(config.url).host;

  const call = async <T>(what: string, collection: string | undefined, fn: () => Promise<T>): Promise<T> => {
    try {
      return await withRetry(fn, { signal, retryable: qdrantTransient });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 && collection) {
        throw new EngifyError({
          code: 'QDRANT_COLLECTION_GONE',
          kind: 'system',
          message: messages.vectors.collectionGone(collection, host),
          hint: messages.vectors.collectionGoneHint,
          cause: error,
        });
      }
      if (status === 401 || status === 403) {
        throw new EngifyError({
          code: 'QDRANT_UNAUTHORIZED',
          kind: 'config',
          message: messages.vectors.unauthorized(host),
          hint: messages.vectors.unauthorizedHint,
          cause: error,
        });
      }
      throw new EngifyError({
        code: 'QDRANT_CALL_FAILED',
        kind: qdrantTransient(error) ? 'transient' : 'system',
        message: messages.vectors.qdrantFailed(what, host),
        hint: messages.vectors.qdrantFailedHint,
        detail: error instanceof Error ? error.message : String(error),
        cause: error,
      });
    }
  };

  const pickVector = (info: CollectionInfo, raw: unknown): unknown => {
    if (info.vectorName === undefined) return raw;
    if (raw && typeof raw === 'object' && !Array.isArray(raw))
      return (raw as Record<string, unknown>)[info.vectorName];
    return undefined;
  };

  const toPoint = (
    info: CollectionInfo,
    p: { id: PointId; vector?: unknown; payload?: unknown },
  ): QdrantPoint => ({
    id: p.id,
    vector: pickVector(info, p.vector),
    payload: (p.payload ?? {}) as Record<string, Json>,
  });

  return {
    async collections() {
      const all = (await call('list collections', undefined, () => client.getCollections())).collections.map(
        (c) => c.name,
      );
      const missing = config.collections.filter((p) => !isGlob(p) && !all.includes(p));
      if (missing.length > 0) {
        throw new EngifyError({
          code: 'QDRANT_COLLECTION_MISSING',
          kind: 'config',
          message: messages.vectors.collectionMissing(missing, host),
          hint: messages.vectors.collectionMissingHint(all),
        });
      }
      return all.filter((name) => matchesAny(name, config.collections)).sort();
    },

    async describe(name) {
      const info = await call('describe collection', name, () => client.getCollection(name));
      const params = info.config.params as {
        vectors?: unknown;
        sparse_vectors?: Record<string, unknown> | null;
      };
      const sparseVectors = Object.keys(params.sparse_vectors ?? {});
      const vectors = (params.vectors ?? {}) as VectorParamsLike | Record<string, VectorParamsLike>;
      let chosen: VectorParamsLike | undefined;
      let vectorName: string | undefined;
      let otherVectors: string[] = [];
      if (typeof (vectors as VectorParamsLike).size === 'number') {
        chosen = vectors as VectorParamsLike;
      } else {
        const named = Object.entries(vectors as Record<string, VectorParamsLike>);
        const wanted = config.vectorName ?? (named.length === 1 ? named[0]?.[0] : undefined);
        const found = named.find(([n]) => n === wanted);
        if (!found) {
          throw new EngifyError({
            code: 'QDRANT_VECTOR_NAME',
            kind: 'config',
            message: messages.vectors.vectorNameNeeded(
              name,
              named.map(([n]) => n),
              config.vectorName,
            ),
            hint: messages.vectors.vectorNameHint,
          });
        }
        [vectorName, chosen] = found;
        otherVectors = named.map(([n]) => n).filter((n) => n !== vectorName);
      }
      return {
        name,
        dims: Number(chosen?.size ?? 0),
        distance: String(chosen?.distance ?? 'Cosine') as QdrantDistance,
        ...(vectorName !== undefined ? { vectorName } : {}),
        otherVectors,
        sparseVectors,
        multivector: chosen?.multivector_config !== undefined && chosen?.multivector_config !== null,
      };
    },

    async count(name) {
      return (await call('count points', name, () => client.count(name, { exact: true }))).count;
    },

    async exists(name) {
      return (await call('check collection', undefined, () => client.collectionExists(name))).exists;
    },

    points(info, pageSize = config.scrollPageSize, filter) {
      return {
        capabilities: { incremental: config.watermarkField !== undefined, reversible: false, bulk: false },
        read({
          after,
          signal: readSignal,
        }: {
          after?: Cursor;
          signal?: AbortSignal;
        }): AsyncIterable<Batch<QdrantPoint>> {
          const fetchPage = (offset: Cursor | undefined) =>
            call('scroll points', info.name, () =>
              client.scroll(info.name, {
                limit: pageSize,
                ...(offset !== undefined && offset !== null ? { offset: offset as PointId } : {}),
                with_payload: true,
                with_vector: info.vectorName === undefined ? true : [info.vectorName],
                ...(filter ? { filter: filter as Record<string, unknown> } : {}),
              }),
            );
          return {
            async *[Symbol.asyncIterator]() {
              // One page is prefetched while the caller writes the current one: reading and writing overlap,
              // memory stays at two pages.
              // A prefetch that fails while the current page is being written is reported when awaited.
              const prefetch = (offset: Cursor | undefined) => {
                const p = fetchPage(offset);
                p.catch(() => undefined);
                return p;
              };
              let pending = prefetch(after);
              for (;;) {
                readSignal?.throwIfAborted();
                const page = await pending;
                const next = (page.next_page_offset ?? null) as Cursor;
                if (next !== null) pending = prefetch(next);
                yield { items: page.points.map((p) => toPoint(info, p as { id: PointId })), cursor: next };
                if (next === null) return;
              }
            },
          };
        },
      };
    },

    async sample(info, n) {
      const res = await call('sample points', info.name, () =>
        client.query(info.name, {
          query: { sample: 'random' },
          limit: n,
          with_payload: true,
          with_vector: info.vectorName === undefined ? true : [info.vectorName],
        }),
      );
      return res.points.map((p) => toPoint(info, p as { id: PointId }));
    },

    async search(info, vector, limit, match) {
      const res = await call('search points', info.name, () =>
        client.query(info.name, {
          query: vector,
          limit,
          ...(info.vectorName !== undefined ? { using: info.vectorName } : {}),
          ...(match
            ? { filter: { must: [{ key: match.field, match: { value: match.value as string } }] } }
            : {}),
          with_payload: false,
          with_vector: false,
        }),
      );
      return res.points.map((p) => p.id as PointId);
    },

    async retrieve(info, ids) {
      const res = await call('scroll points', info.name, () =>
        client.scroll(info.name, {
          filter: { must: [{ has_id: ids }] },
          limit: ids.length,
          with_payload: true,
          with_vector: info.vectorName === undefined ? true : [info.vectorName],
        }),
      );
      return res.points.map((p) => toPoint(info, p as { id: PointId }));
    },
  };
}
