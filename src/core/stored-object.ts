import type { Readable } from 'node:stream';

// A file as it moves between object stores (Supabase Storage -> S3 and back): what a source lists, and
// what opening it yields. Sources produce these, targets consume them.

/** One file as listed by an object store source; only non-secret, JSON-safe fields. */
export interface StorageObject {
  bucket: string;
  /** The object name inside its bucket ("folder/file.png"), exactly as Supabase stores it. */
  name: string;
  size: number;
  contentType?: string;
  cacheControl?: string;
  /** The provider's content tag (MD5 for single-part objects); compared on reruns to skip unchanged objects. */
  etag?: string;
  lastModified?: string;
  ownerId?: string;
  /** Custom metadata set by the app at upload (storage.objects.user_metadata). */
  userMetadata?: Record<string, unknown>;
}

/** An opened body plus what only a read reveals (the S3-compatible listing has no content type). */
export interface OpenedObject {
  body: Readable;
  contentType?: string;
  cacheControl?: string;
  size?: number;
  metadata?: Record<string, string>;
}
