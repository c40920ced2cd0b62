import { Readable } from 'node:stream';
import type { QdrantConfig } from '../../config/schema.js';

// Qdrant's collection snapshot API (api.qdrant.tech, "Snapshots"): create one, download it as a
// stream, delete it. Through fetch rather than the REST client, which buffers a download whole.

export interface SnapshotDescription {
  name: string;
  size?: number;
  checksum?: string | null;
}

export function qdrantSnapshots(config: QdrantConfig) {
  const base = config.url.replace(/\/+$/, '');
  const headers: Record<string, string> = config.apiKey ? { 'api-key': config.apiKey } : {};
  const path = (collection: string, name?: string) =>
    `${base}/collections/${encodeURIComponent(collection)}/snapshots${name ? `/${encodeURIComponent(name)}` : ''}`;
  const call = async (method: string, url: string): Promise<Response> => {
    const res = await fetch(url, {
      method,
      headers,
      signal: AbortSignal.timeout(config.requestTimeoutMs * 10),
    });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw Object.assign(
        new Error(`Qdrant answered ${res.status} to ${method} ${new URL(url).pathname}: ${text}`),
        {
          status: res.status,
        },
      );
    }
    return res;
  };
  return {
    /** POST /collections/{c}/snapshots?wait=true: the snapshot is complete when this returns. */
    async create(collection: string): Promise<SnapshotDescription> {
      const res = await call('POST', `${path(collection)}?wait=true`);
      return ((await res.json()) as { result: SnapshotDescription }).result;
    },
    async list(collection: string): Promise<SnapshotDescription[]> {
      const res = await call('GET', path(collection));
      return ((await res.json()) as { result: SnapshotDescription[] }).result;
    },
    /** The snapshot file as a stream (never held whole). */
    async download(collection: string, name: string): Promise<Readable> {
      const res = await call('GET', path(collection, name));
      if (!res.body) throw new Error('Qdrant sent no snapshot body');
      return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    },
    async delete(collection: string, name: string): Promise<void> {
      await call('DELETE', `${path(collection, name)}?wait=true`);
    },
  };
}

export type QdrantSnapshots = ReturnType<typeof qdrantSnapshots>;
