import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import { withRetry } from '../../../core/retry.js';
import type { OpenedObject } from './types.js';

// The Supabase Storage HTTP API as the copier reads it: JSON calls and streamed downloads through
// /object/authenticated/{bucket}/{name}, with the service key as both `apikey` and Bearer token.
// Names are percent-encoded per path segment here: storage-js puts them in the URL raw, which
// breaks names containing `%` (and `#`, `?`).

export interface StorageHttpOptions {
  apiUrl: string;
  serviceKey: string;
  timeoutMs?: number;
  attempts?: number;
}

export function storageBaseUrl(apiUrl: string): string {
  const trimmed = apiUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/storage/v1') ? trimmed : `${trimmed}/storage/v1`;
}

export function encodeObjectPath(bucket: string, name: string): string {
  return [bucket, ...name.split('/')].map(encodeURIComponent).join('/');
}

/** An HTTP answer from the Storage API; `code` is the body's statusCode (the API reports 404 as HTTP 400). */
export class StorageHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StorageHttpError';
  }
  get notFound(): boolean {
    return this.status === 404 || this.code === '404' || this.code === 'not_found';
  }
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403 || this.code === '401' || this.code === '403';
  }
  get transient(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** The service key as both `apikey` and Bearer token, as every Storage API call sends it. */
export function storageHeaders(
  serviceKey: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { apikey: serviceKey, authorization: `Bearer ${serviceKey}`, ...extra };
}

/** The error a non-2xx answer stands for: the JSON body's statusCode and message, else the HTTP status. */
export async function storageHttpError(res: Response): Promise<StorageHttpError> {
  let code = String(res.status);
  let message = res.statusText;
  try {
    const body = (await res.json()) as { statusCode?: unknown; error?: unknown; message?: unknown };
    code = String(body.statusCode ?? code);
    message = String(body.message ?? body.error ?? message);
  } catch {
    // a body that is not JSON keeps the HTTP status text
  }
  return new StorageHttpError(res.status, code, message);
}

/** The service key was refused by the Storage API at `host`. */
export function storageUnauthorized(host: string): EngifyError {
  return new EngifyError({
    code: 'FILES_SOURCE_UNAUTHORIZED',
    kind: 'config',
    message: messages.files.apiUnauthorized(host),
    hint: messages.files.apiUnauthorizedHint,
  });
}

/** The caller's signal, bounded by a timeout. */
export function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

const transient = (error: unknown) =>
  error instanceof StorageHttpError
    ? error.transient
    : error instanceof TypeError || (error as { name?: string })?.name === 'TimeoutError';

export class StorageHttp {
  readonly base: string;
  private readonly host: string;
  constructor(private readonly options: StorageHttpOptions) {
    this.base = storageBaseUrl(options.apiUrl);
    this.host = new URL(this.base).host;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return storageHeaders(this.options.serviceKey, extra);
  }

  private async fail(res: Response): Promise<never> {
    throw await storageHttpError(res);
  }

  /** Maps an auth failure or outage to a user-facing error naming the host; other errors pass through. */
  explain(error: unknown, what: string): unknown {
    if (error instanceof StorageHttpError && error.unauthorized) return storageUnauthorized(this.host);
    if (error instanceof StorageHttpError && error.transient) {
      return new EngifyError({
        code: 'FILES_SOURCE_UNAVAILABLE',
        kind: 'transient',
        message: messages.files.apiUnavailable(this.host, what, error.status),
        hint: messages.files.apiUnavailableHint,
        cause: error,
      });
    }
    if (error instanceof TypeError) {
      return new EngifyError({
        code: 'FILES_SOURCE_UNREACHABLE',
        kind: 'transient',
        message: messages.files.apiUnreachable(this.host),
        hint: messages.files.apiUnreachableHint,
        cause: error,
      });
    }
    return error;
  }

  async json<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    try {
      return await withRetry(
        async () => {
          const res = await fetch(`${this.base}${path}`, {
            method,
            headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: withTimeout(signal, this.options.timeoutMs ?? 30_000),
          });
          if (!res.ok) await this.fail(res);
          return (await res.json()) as T;
        },
        { attempts: this.options.attempts, retryable: transient, signal },
      );
    } catch (error) {
      throw this.explain(error, path);
    }
  }

  /** Streams an object's body; undefined when the API says it does not exist (any more). */
  async download(bucket: string, name: string, signal?: AbortSignal): Promise<OpenedObject | undefined> {
    try {
      return await withRetry(
        async () => {
          // The timeout bounds the wait for the response head; the body then streams at its own pace.
          // FIXME: no idle timeout on a body that stalls mid-stream (a reset is retried, a stall is not).
          const controller = new AbortController();
          const timer = setTimeout(
            () => controller.abort(new Error('timeout')),
            this.options.timeoutMs ?? 30_000,
          );
          const onAbort = () => controller.abort(signal?.reason);
          signal?.addEventListener('abort', onAbort, { once: true });
          try {
            const res = await fetch(`${this.base}/object/authenticated/${encodeObjectPath(bucket, name)}`, {
              headers: this.headers(),
              signal: controller.signal,
            });
            clearTimeout(timer);
            if (!res.ok) {
              signal?.removeEventListener('abort', onAbort);
              await this.fail(res);
            }
            const length = res.headers.get('content-length');
            const body = res.body
              ? Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>)
              : Readable.from([]);
            body.once('close', () => signal?.removeEventListener('abort', onAbort));
            return {
              body,
              contentType: res.headers.get('content-type') ?? undefined,
              cacheControl: res.headers.get('cache-control') ?? undefined,
              size: length === null ? undefined : Number(length),
            };
          } catch (error) {
            signal?.removeEventListener('abort', onAbort);
            throw error;
          } finally {
            clearTimeout(timer);
          }
        },
        { attempts: this.options.attempts, retryable: transient, signal },
      );
    } catch (error) {
      if (error instanceof StorageHttpError && error.notFound) return undefined;
      throw this.explain(error, `/object/${bucket}/…`);
    }
  }
}
