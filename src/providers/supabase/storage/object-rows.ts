import type { Client as PgClient } from 'pg';
import type { StorageObject } from './types.js';

// The one mapping of Storage's object metadata to StorageObject, and the one keyset-paged read of
// storage.objects: the db source lists through it and the files sync passes find updated objects
// through it, so both see an object the same way.

/** storage.objects.metadata, as the database holds it and the list API returns it. */
export interface StorageMetadata {
  size?: number;
  mimetype?: string;
  cacheControl?: string;
  eTag?: string;
  lastModified?: string;
}

interface ObjectRow {
  name: string;
  row: {
    metadata?: StorageMetadata | null;
    owner?: string | null;
    owner_id?: string | null;
    user_metadata?: Record<string, unknown> | null;
    updated_at?: string | null;
  };
}

/** The fields every listing mode reads from the metadata (updatedAt stands in for a missing lastModified). */
export function objectFromMetadata(
  bucket: string,
  name: string,
  metadata: StorageMetadata | null | undefined,
  updatedAt: string | null | undefined,
): StorageObject {
  const meta = metadata ?? {};
  return {
    bucket,
    name,
    size: Number(meta.size ?? 0),
    contentType: meta.mimetype,
    cacheControl: meta.cacheControl,
    etag: meta.eTag,
    lastModified: meta.lastModified ?? updatedAt ?? undefined,
  };
}

/**
 * Pages of one bucket's storage.objects rows in name order, after `after` and updated after `since`
 * (each filter off when undefined). `after` is compared in the database's collation of `name`, the
 * order the (bucket_id, name) index serves, so a resume skips exactly what was listed before.
 */
export async function* objectRowPages(
  client: PgClient,
  bucket: string,
  options: { after?: string; since?: Date; pageSize: number },
): AsyncGenerator<StorageObject[]> {
  let last = options.after;
  for (;;) {
    // to_jsonb keeps this working across storage schema versions (owner vs owner_id, user_metadata).
    const { rows } = await client.query<ObjectRow>(
      `SELECT o.name, to_jsonb(o) - 'path_tokens' AS row FROM storage.objects o
       WHERE o.bucket_id = $1 AND ($2::text IS NULL OR o.name > $2)
         AND ($3::timestamptz IS NULL OR o.updated_at > $3)
       ORDER BY o.name LIMIT $4`,
      [bucket, last ?? null, options.since?.toISOString() ?? null, options.pageSize],
    );
    if (rows.length === 0) return;
    yield rows.map(
      ({ name, row }): StorageObject => ({
        ...objectFromMetadata(bucket, name, row.metadata, row.updated_at),
        ownerId: row.owner_id ?? row.owner ?? undefined,
        userMetadata: row.user_metadata ?? undefined,
      }),
    );
    last = rows[rows.length - 1]?.name;
    if (rows.length < options.pageSize) return;
  }
}
