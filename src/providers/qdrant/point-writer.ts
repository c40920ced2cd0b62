import type { QdrantConfig } from '../../config/schema.js';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { withRetry } from '../../core/retry.js';
import { openQdrantClient, qdrantTransient } from './qdrant-client.js';
import type { PointId } from './qdrant-source.js';

// The one write the reverse vectors pass makes on the old system: upserts of whole points (vector +
// payload) into a Qdrant collection, acknowledged only once applied (`wait=true`) so the re-read that
// follows sees them. Upserts are keyed by point id: a replayed batch duplicates nothing.

export interface ReversePoint {
  id: PointId;
  /** Exact float32 values (as doubles). */
  vector: number[];
  payload: Record<string, Json>;
}

export interface QdrantPointWriter {
  upsert(collection: string, vectorName: string | undefined, points: ReversePoint[]): Promise<void>;
}

function transient(error: unknown): boolean {
  if (qdrantTransient(error)) return true;
  const status = (error as { status?: unknown })?.status;
  return status === 429 || status === 503;
}

export async function createQdrantPointWriter(
  config: QdrantConfig,
  signal?: AbortSignal,
): Promise<QdrantPointWriter> {
  const client = await openQdrantClient(config);
  const host = new URL(config.url).host;
  return {
    async upsert(collection, vectorName, points) {
      if (points.length === 0) return;
      try {
        await withRetry(
          () =>
            client.upsert(collection, {
              wait: true,
              points: points.map((p) => ({
                id: p.id,
                vector: vectorName === undefined ? p.vector : { [vectorName]: p.vector },
                payload: p.payload as Record<string, unknown>,
              })),
            }),
          { signal, retryable: transient },
        );
      } catch (error) {
        throw new EngifyError({
          code: 'QDRANT_REVERSE_WRITE_FAILED',
          kind: transient(error) ? 'transient' : 'system',
          message: messages.vectors.reverseQdrantWriteFailed(collection, host),
          hint: messages.vectors.reverseQdrantWriteHint,
          detail: error instanceof Error ? error.message : String(error),
          cause: error,
        });
      }
    },
  };
}
