import type { StorageObject } from '../../core/stored-object.js';

// How a Supabase object's metadata is kept on S3. User metadata must be HTTP-header safe (US-ASCII),
// so free-text values are percent-encoded and the app's custom metadata is base64url JSON.

export const META = {
  sha256: 'sha256',
  /** Marks objects written by this tool (value: the config's project); rollback deletes only these. */
  copiedBy: 'engify-copied-by',
  sourceEtag: 'source-etag',
  ownerId: 'owner-id',
  sourceLastModified: 'source-last-modified',
  userMetadata: 'supabase-user-metadata',
} as const;

/** S3 allows 2 KB of user metadata per object; leave room for the fields above. */
const USER_METADATA_MAX = 1400;

const ascii = (value: string) => (/^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value));

export function normaliseEtag(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : etag.replace(/^W\//, '').replace(/"/g, '');
}

export interface BuiltMetadata {
  metadata: Record<string, string>;
  /** Why something could not be kept (reported, never fatal). */
  dropped?: string;
}

export function buildMetadata(
  object: StorageObject,
  project: string,
  fromSource: Record<string, string> = {},
): BuiltMetadata {
  const metadata: Record<string, string> = {};
  // Metadata the source object already carries (S3-compatible mode) comes first; ours wins on clashes.
  for (const [key, value] of Object.entries(fromSource)) metadata[key.toLowerCase()] = ascii(value);
  metadata[META.copiedBy] = project;
  const etag = normaliseEtag(object.etag);
  if (etag) metadata[META.sourceEtag] = ascii(etag);
  if (object.ownerId) metadata[META.ownerId] = ascii(object.ownerId);
  if (object.lastModified) metadata[META.sourceLastModified] = ascii(object.lastModified);
  let dropped: string | undefined;
  if (object.userMetadata && Object.keys(object.userMetadata).length > 0) {
    const encoded = Buffer.from(JSON.stringify(object.userMetadata)).toString('base64url');
    if (encoded.length <= USER_METADATA_MAX) metadata[META.userMetadata] = encoded;
    else dropped = `custom metadata of ${encoded.length} bytes (encoded) exceeds S3's metadata limit`;
  }
  return { metadata, dropped };
}

export function decodeUserMetadata(
  metadata: Record<string, string> | undefined,
): Record<string, unknown> | undefined {
  const encoded = metadata?.[META.userMetadata];
  if (!encoded) return undefined;
  return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
}
