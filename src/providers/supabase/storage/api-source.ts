import type { Batch } from '../../../core/contracts.js';
import { withRetry } from '../../../core/retry.js';
import { objectFromMetadata, type StorageMetadata } from './object-rows.js';
import { type StorageHttp, StorageHttpError, storageBaseUrl } from './storage-http.js';
import type { OpenedObject, StorageBucket, StorageObject, StorageSource } from './types.js';

// Lists through supabase-js storage (the documented list call: one folder level per call, offset
// pages, folders come back with id null and are walked depth first) and reads through the API.
// The walk's order is the server's sort of each folder, which may follow the database collation:
// so this mode does not resume "after a name"; a rerun re-lists and the target skips what it has.

interface ListEntry {
  name: string;
  id: string | null;
  updated_at: string | null;
  metadata: StorageMetadata | null;
}

export function apiStorageSource(options: {
  apiUrl: string;
  serviceKey: string;
  http: StorageHttp;
  pageSize: number;
  timeoutMs: number;
}): StorageSource {
  type Storage = Awaited<ReturnType<typeof makeClient>>;
  let storage: Promise<Storage> | undefined;
  const client = () => {
    storage ??= makeClient(options);
    return storage;
  };
  const call = async <T>(
    what: string,
    run: (s: Storage) => Promise<{ data: T | null; error: unknown }>,
  ): Promise<T> => {
    const s = await client();
    try {
      return await withRetry(
        async () => {
          const { data, error } = await run(s);
          if (error) {
            const e = error as { status?: number; statusCode?: string; message?: string };
            throw new StorageHttpError(
              e.status ?? 500,
              String(e.statusCode ?? e.status ?? ''),
              e.message ?? what,
            );
          }
          return data as T;
        },
        { retryable: (e) => e instanceof StorageHttpError && e.transient },
      );
    } catch (error) {
      // Reuse the HTTP reader's mapping of auth failures and outages to user-facing errors.
      throw options.http.explain(error, what);
    }
  };

  return {
    mode: 'api',
    capabilities: { incremental: false, reversible: false, bulk: false },
    resumesAfterName: false,
    async listBuckets(): Promise<StorageBucket[]> {
      const buckets = await call<{ id: string; public: boolean }[]>('/bucket', (s) => s.listBuckets());
      return buckets.map((b) => ({ name: b.id, public: b.public === true }));
    },
    async *listObjects(bucket): AsyncIterable<Batch<StorageObject>> {
      const pageSize = options.pageSize;
      let batch: StorageObject[] = [];
      async function* walk(prefix: string): AsyncGenerator<StorageObject> {
        for (let offset = 0; ; offset += pageSize) {
          const page = await call<ListEntry[]>(`/object/list/${bucket}`, (s) =>
            s
              .from(bucket)
              .list(prefix, { limit: pageSize, offset, sortBy: { column: 'name', order: 'asc' } }),
          );
          for (const entry of page) {
            const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
            if (entry.id === null) {
              yield* walk(name);
              continue;
            }
            yield objectFromMetadata(bucket, name, entry.metadata, entry.updated_at);
          }
          if (page.length < pageSize) return;
        }
      }
      for await (const object of walk('')) {
        batch.push(object);
        if (batch.length >= pageSize) {
          yield { items: batch, cursor: { bucket, last: object.name } };
          batch = [];
        }
      }
      if (batch.length > 0)
        yield { items: batch, cursor: { bucket, last: batch[batch.length - 1]?.name ?? null } };
    },
    openObject: (object: StorageObject, signal?: AbortSignal): Promise<OpenedObject | undefined> =>
      options.http.download(object.bucket, object.name, signal),
    async close() {
      storage = undefined;
    },
  };
}

async function makeClient(options: { apiUrl: string; serviceKey: string; timeoutMs: number }) {
  const { createClient } = await import('@supabase/supabase-js');
  const timedFetch: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    return fetch(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
    });
  };
  const projectUrl = storageBaseUrl(options.apiUrl).replace(/\/storage\/v1$/, '');
  return createClient(projectUrl, options.serviceKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: timedFetch },
  }).storage;
}
