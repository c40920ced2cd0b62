import { EngifyError } from './errors.js';

// A small JSON-over-HTTPS client for the hosting providers' REST APIs (Vercel, Render): a timeout on
// every call, retries with jittered exponential backoff on 429/5xx and network errors, and errors
// that name the host and the status without ever echoing the token.

export interface RestOptions {
  baseUrl: string;
  token: string;
  /** Added to every request's query string (e.g. Vercel's teamId). */
  query?: Record<string, string | undefined>;
  timeoutMs?: number;
  attempts?: number;
  signal?: AbortSignal;
}

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
    this.name = 'RestError';
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export function restClient(options: RestOptions) {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const attempts = options.attempts ?? 5;
  const base = options.baseUrl.replace(/\/+$/, '');

  return async function get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries({ ...options.query, ...query }))
      if (v !== undefined) url.searchParams.set(k, v);
    // The URL we name in errors never contains the token (it travels in the Authorization header).
    const shown = `${url.origin}${url.pathname}`;
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
        const res = await fetch(url, {
          headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
          signal: AbortSignal.any(signals),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // Non-JSON error pages (proxies) are kept as text.
        }
        if (res.ok) return body as T;
        const error = new RestError(res.status, body, shown);
        if (res.status !== 429 && res.status < 500) throw error;
        last = error;
      } catch (error) {
        if (error instanceof RestError && error.status !== 429 && error.status < 500) throw error;
        if (options.signal?.aborted) throw error;
        last = error;
      }
      if (attempt < attempts) await sleep(Math.random() * Math.min(8000, 200 * 2 ** attempt), options.signal);
    }
    if (last instanceof RestError) throw last;
    throw new EngifyError({
      code: 'HOSTING_SOURCE_UNREACHABLE',
      kind: 'transient',
      message: `Cannot reach ${shown} after ${attempts} attempts (${last instanceof Error ? last.message : String(last)}).`,
      hint: 'Check the apiUrl in the config, your network or proxy, and the provider status page; then rerun.',
      cause: last,
    });
  };
}

export type RestGet = ReturnType<typeof restClient>;
