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

/** An HTTP answer, its body parsed as JSON when it is JSON (non-JSON error pages are kept as text). */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  text: string;
  body: unknown;
}

/** What `settle` returns to have the call tried again (a 429 or 5xx), with the reason kept as the last error. */
export class Retry {
  constructor(readonly reason: unknown) {}
}

/**
 * One JSON call with a timeout on every try, retried with jittered exponential backoff while `settle`
 * answers Retry or the network fails. What `settle` throws ends the call at once (an answer that
 * says no); an abort of `signal` ends it too. After the last try, `exhausted(last)` makes the error.
 */
export async function withRetries<T>(o: {
  request(signal: AbortSignal): Promise<Response>;
  settle(answer: HttpAnswer): T | Retry;
  exhausted(last: unknown): Error;
  timeoutMs: number;
  attempts: number;
  signal?: AbortSignal;
  /** The wait before try `attempt + 1` (default: jittered exponential, capped at 8 s). */
  backoffMs?: (attempt: number) => number;
}): Promise<T> {
  const backoff = o.backoffMs ?? ((attempt: number) => Math.random() * Math.min(8000, 200 * 2 ** attempt));
  let last: unknown;
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    let answer: HttpAnswer | undefined;
    try {
      const signals = [AbortSignal.timeout(o.timeoutMs), ...(o.signal ? [o.signal] : [])];
      const res = await o.request(AbortSignal.any(signals));
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Kept as text.
      }
      answer = { status: res.status, ok: res.ok, text, body };
    } catch (error) {
      if (o.signal?.aborted) throw error;
      last = error;
    }
    if (answer) {
      const settled = o.settle(answer);
      if (!(settled instanceof Retry)) return settled;
      last = settled.reason;
    }
    if (attempt < o.attempts) await sleep(backoff(attempt), o.signal);
  }
  throw o.exhausted(last);
}

export const retryableStatus = (status: number) => status === 429 || status >= 500;

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
    return withRetries<T>({
      timeoutMs,
      attempts,
      signal: options.signal,
      request: (signal) =>
        fetch(url, {
          headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
          signal,
        }),
      settle: (a) => {
        if (a.ok) return a.body as T;
        const error = new RestError(a.status, a.body, shown);
        if (retryableStatus(a.status)) return new Retry(error);
        throw error;
      },
      exhausted: (last) =>
        last instanceof RestError
          ? last
          : new EngifyError({
              code: 'HOSTING_SOURCE_UNREACHABLE',
              kind: 'transient',
              message: `Cannot reach ${shown} after ${attempts} attempts (${last instanceof Error ? last.message : String(last)}).`,
              hint: 'Check the apiUrl in the config, your network or proxy, and the provider status page; then rerun.',
              cause: last,
            }),
    });
  };
}

export type RestGet = ReturnType<typeof restClient>;
