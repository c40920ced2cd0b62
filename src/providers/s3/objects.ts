import { pipeline, Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { isTransient } from '../../core/errors.js';
import { withRetry } from '../../core/retry.js';
import type { OpenedObject, StorageObject } from '../../core/stored-object.js';
import { HashingStream } from './hashing-stream.js';
import { buildMetadata, META, normaliseEtag } from './object-metadata.js';

// Streams Supabase objects into the target bucket with their SHA-256 stored as x-amz-meta-sha256.
//
// The hash is known only once the last byte went through, but S3 metadata is fixed when an object is
// created. So:
//  - an object that fits in one part (<= partSize, decided by the bytes actually read, not the listed
//    size) is read into memory up to one part while hashing, then sent with one PutObject carrying
//    the hash: no extra request, and memory is bounded by the part size exactly as for a multipart
//    part (lib-storage would hold that part in memory anyway);
//  - a larger object streams through lib-storage's multipart Upload (parts of partSize, partQueue at
//    a time) while a Transform hashes it; then one server-side CopyObject onto itself with
//    MetadataDirective REPLACE adds the hash (no bytes go through this machine again). An object
//    whose copy did not happen (crash in between) lacks the hash, so a rerun copies it again.
// Never is an object held whole, and memory stays flat in object size.
// FIXME: CopyObject is limited to 5 GiB; larger objects keep the hash in the tag `sha256` instead
// (UploadPartCopy would keep it in metadata at the cost of a multipart server-side copy).

const COPY_OBJECT_MAX = 5 * 1024 ** 3;

export type CopyStatus = 'copied' | 'skipped' | 'gone' | 'conflict';

export interface CopyResult {
  key: string;
  status: CopyStatus;
  bytes: number;
  sha256?: string;
  /** Why an object was not copied, or what could not be kept. */
  note?: string;
}

export interface TargetObjectInfo {
  key: string;
  size: number;
  metadata: Record<string, string>;
}

export interface ObjectWriterOptions {
  client: S3Client;
  bucket: string;
  prefix: string;
  /** Written into every object's metadata; only objects carrying it are ever skipped or deleted. */
  project: string;
  partSizeBytes: number;
  partQueue: number;
  /** Overwrite objects this tool did not write (apply --force). */
  force?: boolean;
  attempts?: number;
}

/**
 * CopySource is "bucket/key" URL-encoded, as S3 requires (each segment encoded, so `+`, `%`, `?` and
 * spaces survive). s3rver decodes it with decodeURI instead, which leaves `%2B` etc. encoded: for it
 * the key must be encoded with encodeURI. The strict form goes first; the loose one is tried only on
 * NoSuchKey and only when the two differ.
 */
export function copySources(bucket: string, key: string): string[] {
  const strict = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const loose = `${bucket}/${encodeURI(key)}`;
  return strict === loose ? [strict] : [strict, loose];
}

const sdk = () => import('@aws-sdk/client-s3');
const httpStatus = (e: unknown) =>
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isNotFound = (e: unknown) => {
  const name = (e as { name?: string }).name;
  return name === 'NotFound' || name === 'NoSuchKey' || httpStatus(e) === 404;
};

export class S3ObjectWriter {
  constructor(private readonly options: ObjectWriterOptions) {}

  /** The S3 key of a Supabase object: prefix + bucket + "/" + name (several buckets share one S3 bucket). */
  keyOf(object: Pick<StorageObject, 'bucket' | 'name'>): string {
    return `${this.options.prefix}${object.bucket}/${object.name}`;
  }

  async head(key: string, signal?: AbortSignal): Promise<TargetObjectInfo | undefined> {
    const { HeadObjectCommand } = await sdk();
    try {
      const out = await this.options.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }),
        {
          abortSignal: signal,
        },
      );
      return { key, size: Number(out.ContentLength ?? 0), metadata: out.Metadata ?? {} };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Bytes copy() holds in memory for this object at most: the object itself up to one part (it is read
   * whole before its single PUT), else the parts lib-storage keeps in flight plus the one being read.
   */
  bufferBytes(object: Pick<StorageObject, 'size'>): number {
    const { partSizeBytes, partQueue } = this.options;
    return object.size <= partSizeBytes ? Math.max(object.size, 1) : partSizeBytes * (partQueue + 1);
  }

  get partSizeBytes(): number {
    return this.options.partSizeBytes;
  }

  /** Present with the same size and the same source content tag, and carrying our hash: nothing to do. */
  isUpToDate(object: StorageObject, existing: TargetObjectInfo): boolean {
    const etag = normaliseEtag(object.etag);
    return (
      existing.metadata[META.copiedBy] === this.options.project &&
      existing.size === object.size &&
      /^[0-9a-f]{64}$/.test(existing.metadata[META.sha256] ?? '') &&
      etag !== undefined &&
      existing.metadata[META.sourceEtag] === etag
    );
  }

  /**
   * Copies one object. `open` is called again for each attempt: a transient failure anywhere (source
   * 5xx, a reset mid-body, an S3 error) restarts the object from its first byte.
   */
  async copy(
    object: StorageObject,
    open: (signal?: AbortSignal) => Promise<OpenedObject | undefined>,
    signal?: AbortSignal,
    /**
     * The key was being written when an earlier run died (journaled in flight): an unmarked object there
     * is that run's torn upload (some S3 stand-ins keep a partial PUT without its metadata), not someone
     * else's object, so it is overwritten rather than refused.
     */
    options: {
      wasInFlight?: boolean;
      /** Nothing was under this bucket's prefix when the run started: no HEAD needed (see prefixIsEmpty). */
      knownAbsent?: boolean;
    } = {},
  ): Promise<CopyResult> {
    const key = this.keyOf(object);
    const existing = options.knownAbsent
      ? undefined
      : await withRetry(() => this.head(key, signal), { signal });
    if (existing && this.isUpToDate(object, existing)) {
      return { key, status: 'skipped', bytes: existing.size, sha256: existing.metadata[META.sha256] };
    }
    if (
      existing &&
      existing.metadata[META.copiedBy] !== this.options.project &&
      !this.options.force &&
      !options.wasInFlight
    ) {
      return {
        key,
        status: 'conflict',
        bytes: 0,
        note: 'an object this tool did not write is already at this key',
      };
    }
    return withRetry(
      async () => {
        const opened = await open(signal);
        if (!opened)
          return { key, status: 'gone', bytes: 0, note: 'deleted from the source after it was listed' };
        return this.upload(object, key, opened, signal);
      },
      { signal, attempts: this.options.attempts ?? 5, retryable: (e) => isTransient(e) || isStreamReset(e) },
    );
  }

  private async upload(
    object: StorageObject,
    key: string,
    opened: OpenedObject,
    signal?: AbortSignal,
  ): Promise<CopyResult> {
    const s = await sdk();
    const { client, bucket, partSizeBytes } = this.options;
    const { metadata, dropped } = buildMetadata(object, this.options.project, opened.metadata);
    const contentType = object.contentType ?? opened.contentType ?? 'application/octet-stream';
    const cacheControl = object.cacheControl ?? opened.cacheControl;
    const common = {
      Bucket: bucket,
      Key: key,
      ContentType: contentType,
      ...(cacheControl ? { CacheControl: cacheControl } : {}),
    };

    const hasher = new HashingStream({ highWaterMark: 1024 * 1024 });
    let sourceError: unknown;
    pipeline(opened.body, hasher, (error) => {
      if (error) sourceError = error;
    });
    const chunks = hasher[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first: Buffer[] = [];
    let firstBytes = 0;
    let ended = false;
    try {
      while (firstBytes <= partSizeBytes) {
        const next = await chunks.next();
        if (next.done) {
          ended = true;
          break;
        }
        first.push(next.value);
        firstBytes += next.value.length;
      }
    } catch (error) {
      throw sourceError ?? error;
    }

    if (ended) {
      const sha256 = hasher.digest();
      const put = new s.PutObjectCommand({
        ...common,
        Body: Buffer.concat(first, firstBytes),
        ContentLength: firstBytes,
        Metadata: { ...metadata, [META.sha256]: sha256 },
      });
      // SigV4 signs the body's SHA-256, which the SDK would compute again over the whole buffer; given
      // ours, it signs with it, and S3 refuses the PUT if the bytes it received hash differently.
      put.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers) request.headers['x-amz-content-sha256'] = sha256;
          return next(args);
        },
        { step: 'build', name: 'engifyContentSha256' },
      );
      await client.send(put, { abortSignal: signal });
      return { key, status: 'copied', bytes: firstBytes, sha256, ...(dropped ? { note: dropped } : {}) };
    }

    const rest = async function* (): AsyncGenerator<Buffer> {
      while (first.length > 0) yield first.shift() as Buffer;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield next.value;
      }
    };
    const { Upload } = await import('@aws-sdk/lib-storage');
    const abortController = new AbortController();
    const onAbort = () => abortController.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const upload = new Upload({
        client,
        params: { ...common, Body: Readable.from(rest()), Metadata: metadata },
        partSize: partSizeBytes,
        queueSize: this.options.partQueue,
        abortController,
      });
      await upload.done();
    } catch (error) {
      // lib-storage reports a failed AbortMultipartUpload (unsupported by some S3 stand-ins) in place
      // of the failure that caused it; the source's own error is the one that says what to retry.
      throw sourceError ?? error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (sourceError) throw sourceError;
    const sha256 = hasher.digest();
    const bytes = hasher.bytes;
    if (bytes <= COPY_OBJECT_MAX) {
      const sources = copySources(bucket, key);
      for (const [i, source] of sources.entries()) {
        try {
          await client.send(
            new s.CopyObjectCommand({
              ...common,
              CopySource: source,
              MetadataDirective: 'REPLACE',
              Metadata: { ...metadata, [META.sha256]: sha256 },
            }),
            { abortSignal: signal },
          );
          break;
        } catch (error) {
          if (!isNotFound(error) || i === sources.length - 1) throw error;
        }
      }
    } else {
      await client.send(
        new s.PutObjectTaggingCommand({
          Bucket: bucket,
          Key: key,
          Tagging: { TagSet: [{ Key: 'sha256', Value: sha256 }] },
        }),
        { abortSignal: signal },
      );
    }
    return { key, status: 'copied', bytes, sha256, ...(dropped ? { note: dropped } : {}) };
  }

  /** Streams the stored body and hashes it: what verify compares, never trusting the stored hash alone. */
  async hashStored(
    key: string,
    signal?: AbortSignal,
  ): Promise<{ size: number; sha256: string; stored?: string; copiedBy?: string } | undefined> {
    const { GetObjectCommand } = await sdk();
    return withRetry(
      async () => {
        try {
          const out = await this.options.client.send(
            new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
            {
              abortSignal: signal,
            },
          );
          const { size, sha256 } = await hashBody(out.Body as Readable);
          return {
            size,
            sha256,
            stored: out.Metadata?.[META.sha256],
            copiedBy: out.Metadata?.[META.copiedBy],
          };
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      },
      { signal, retryable: (e) => isTransient(e) || isStreamReset(e) },
    );
  }

  /** No object at all under `prefix` (one LIST of one key). */
  async prefixIsEmpty(prefix: string, signal?: AbortSignal): Promise<boolean> {
    const { ListObjectsV2Command } = await sdk();
    const out = await withRetry(
      () =>
        this.options.client.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, MaxKeys: 1 }),
          { abortSignal: signal },
        ),
      { signal },
    );
    return (out.Contents ?? []).length === 0;
  }

  /** Keys (with sizes) under a prefix, in pages; memory stays one page. */
  async *list(prefix: string, signal?: AbortSignal): AsyncGenerator<{ key: string; size: number }[]> {
    const { ListObjectsV2Command } = await sdk();
    let token: string | undefined;
    do {
      const out = await this.options.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: prefix,
          ContinuationToken: token,
          MaxKeys: 1000,
        }),
        { abortSignal: signal },
      );
      yield (out.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: Number(o.Size ?? 0) }));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /** Deletes one object, one request per key (DeleteObjects races on some S3 stand-ins). */
  async delete(key: string, signal?: AbortSignal): Promise<void> {
    const { DeleteObjectCommand } = await sdk();
    await withRetry(
      () =>
        this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }), {
          abortSignal: signal,
        }),
      {
        signal,
      },
    );
  }
}

export async function hashBody(body: Readable): Promise<{ size: number; sha256: string }> {
  const hasher = new HashingStream();
  await new Promise<void>((resolve, reject) => {
    pipeline(body, hasher, (error) => (error ? reject(error) : resolve()));
    hasher.resume();
  });
  return { size: hasher.bytes, sha256: hasher.digest() };
}

/** A body that broke off mid-stream (connection reset, premature close): worth one more try. */
function isStreamReset(error: unknown): boolean {
  const e = error as { code?: string; name?: string; cause?: { code?: string } };
  return (
    e?.code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    e?.code === 'ECONNRESET' ||
    e?.cause?.code === 'ECONNRESET' ||
    e?.cause?.code === 'UND_ERR_SOCKET' ||
    e?.name === 'TypeError'
  );
}
