import type { Client as PgClient } from 'pg';
import type { Batch } from '../../../core/contracts.js';
import type { Services } from '../../../core/services.js';
import { objectRowPages } from './object-rows.js';
import type { StorageHttp } from './storage-http.js';
import type { OpenedObject, StorageBucket, StorageObject, StorageSource } from './types.js';

// Lists storage.objects through the database URL, keyset-paginated by (bucket_id, name), and reads
// bodies through the Storage API. The listing comes from one table scan in index order, so it is
// exact and cheap; the API is still needed for bodies (they live in Supabase's own object store).
// The order is the database's collation of `name`, which the (bucket_id, name) index serves; `after`
// is compared in that same collation, so a resume skips exactly what was listed before.

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
      for await (const items of objectRowPages(await pg(), bucket, { after, pageSize: options.pageSize })) {
        yield { items, cursor: { bucket, last: items[items.length - 1]?.name ?? null } };
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
