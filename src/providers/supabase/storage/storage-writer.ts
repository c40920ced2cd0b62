import type { Readable } from 'node:stream';
import { Readable as NodeReadable } from 'node:stream';
import {
  encodeObjectPath,
  StorageHttpError,
  storageBaseUrl,
  storageHeaders,
  storageHttpError,
  storageUnauthorized,
  withTimeout,
} from './storage-http.js';

// The few Supabase Storage API writes the reverse pass makes (service role key): upload with upsert,
// read back the stored ETag, delete. Routes as @supabase/storage-js calls them: POST
// /object/{bucket}/{name} with `x-upsert: true`, the body raw, `content-type`/`cache-control` headers and
// custom metadata as base64 JSON in `x-metadata`; HEAD /object/authenticated/{bucket}/{name}; DELETE
// /object/{bucket}/{name}. Retries are the caller's: a failed upload restarts from a fresh S3 read.

export interface StorageUpload {
  bucket: string;
  name: string;
  body: Readable;
  contentType: string;
  cacheControl?: string;
  userMetadata?: Record<string, unknown>;
}

export class StorageWriter {
  private readonly base: string;
  private readonly host: string;
  constructor(private readonly options: { apiUrl: string; serviceKey: string; timeoutMs: number }) {
    this.base = storageBaseUrl(options.apiUrl);
    this.host = new URL(this.base).host;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return storageHeaders(this.options.serviceKey, extra);
  }

  private async fail(res: Response): Promise<never> {
    const error = await storageHttpError(res);
    throw error.unauthorized ? storageUnauthorized(this.host) : error;
  }

  /** Uploads (creating or replacing) one object; the body streams through. */
  // FIXME: bounded by the caller's signal only: a stalled upload body has no idle timeout.
  async upload(upload: StorageUpload, signal?: AbortSignal): Promise<void> {
    const headers = this.headers({
      'content-type': upload.contentType,
      'x-upsert': 'true',
      ...(upload.cacheControl ? { 'cache-control': upload.cacheControl } : {}),
      ...(upload.userMetadata && Object.keys(upload.userMetadata).length > 0
        ? { 'x-metadata': Buffer.from(JSON.stringify(upload.userMetadata)).toString('base64') }
        : {}),
    });
    const res = await fetch(`${this.base}/object/${encodeObjectPath(upload.bucket, upload.name)}`, {
      method: 'POST',
      headers,
      body: NodeReadable.toWeb(upload.body) as unknown as RequestInit['body'],
      duplex: 'half',
      signal,
    } as RequestInit);
    if (!res.ok) await this.fail(res);
    await res.body?.cancel();
  }

  /** The stored object's ETag without quotes, or undefined when it does not exist. */
  async etag(bucket: string, name: string, signal?: AbortSignal): Promise<string | undefined> {
    const res = await fetch(`${this.base}/object/authenticated/${encodeObjectPath(bucket, name)}`, {
      method: 'HEAD',
      headers: this.headers(),
      signal: this.timeout(signal),
    });
    if (res.status === 404 || res.status === 400) return undefined;
    if (!res.ok) await this.fail(res);
    return res.headers.get('etag')?.replace(/^W\//, '').replace(/"/g, '') ?? undefined;
  }

  async delete(bucket: string, name: string, signal?: AbortSignal): Promise<void> {
    const res = await fetch(`${this.base}/object/${encodeObjectPath(bucket, name)}`, {
      method: 'DELETE',
      headers: this.headers(),
      signal: this.timeout(signal),
    });
    if (!res.ok) {
      try {
        await this.fail(res);
      } catch (error) {
        if (error instanceof StorageHttpError && error.notFound) return;
        throw error;
      }
    }
    await res.body?.cancel();
  }

  private timeout(signal?: AbortSignal): AbortSignal {
    return withTimeout(signal, this.options.timeoutMs);
  }
}
