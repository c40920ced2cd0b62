import type { Client as PgClient } from 'pg';
import type { Services } from '../../../../engine/services.js';
import type { Batch } from '../../../types.js';
import type { StorageHttp } from './storage-http.js';
import type { OpenedObject, StorageBucket, StorageObject, StorageSource } from './types.js';

// Lists storage.objects through the database URL, keyset-paginated by (bucket_id, name), and reads
// bodies through the Storage API. The listing comes from one table scan in index order, so it is
// exact and cheap; the API is still needed for bodies (they live in Supabase's own object store).
// The order is the database's collation of `name`, which the (bucket_id, name) index serves; `after`
// is compared in that same collation, so a resume skips exactly what was listed before.

interface ObjectRow {
  name: string;
  row: {
    metadata?: {
      size?: number;
      mimetype?: string;
      cacheControl?: string;
      eTag?: string;
      lastModified?: string;
    } | null;
    owner?: string | null;
    owner_id?: string | null;
    user_metadata?: Record<string, unknown> | null;
    updated_at?: string | null;
  };
}

export function dbStorageSource(options: {
  services: Services;
  dbUrl: string;
  http: StorageHttp;
  pageSize: number;
}): StorageSource {
  let client: Promise<PgClient> | undefined;
  const pg = () => {
    client ??= options.services.pg(options.dbUrl);
    return client;
  };
  return {
    mode: 'db',
    capabilities: { incremental: false, reversible: false, bulk: false },
    resumesAfterName: true,
    async listBuckets(): Promise<StorageBucket[]> {
      const { rows } = await (await pg()).query<{ id: string; public: boolean | null }>(
        'SELECT id, public FROM storage.buckets ORDER BY id',
      );
      return rows.map((r) => ({ name: r.id, public: r.public === true }));
    },
    async *listObjects(bucket, { after } = {}): AsyncIterable<Batch<StorageObject>> {
      let last = after;
      for (;;) {
        // to_jsonb keeps this working across storage schema versions (owner vs owner_id, user_metadata).
        const { rows } = await (await pg()).query<ObjectRow>(
          `SELECT o.name, to_jsonb(o) - 'path_tokens' AS row FROM storage.objects o
           WHERE o.bucket_id = $1 AND ($2::text IS NULL OR o.name > $2)
           ORDER BY o.name LIMIT $3`,
          [bucket, last ?? null, options.pageSize],
        );
        if (rows.length === 0) return;
        const items = rows.map(({ name, row }): StorageObject => {
          const meta = row.metadata ?? {};
          return {
            bucket,
            name,
            size: Number(meta.size ?? 0),
            contentType: meta.mimetype,
            cacheControl: meta.cacheControl,
            etag: meta.eTag,
            lastModified: meta.lastModified ?? row.updated_at ?? undefined,
            ownerId: row.owner_id ?? row.owner ?? undefined,
            userMetadata: row.user_metadata ?? undefined,
          };
        });
        last = rows[rows.length - 1]?.name;
        yield { items, cursor: { bucket, last: last ?? null } };
        if (rows.length < options.pageSize) return;
      }
    },
    openObject: (object: StorageObject, signal?: AbortSignal): Promise<OpenedObject | undefined> =>
      options.http.download(object.bucket, object.name, signal),
    async close() {
      if (client) await (await client).end().catch(() => undefined);
      client = undefined;
    },
  };
}
