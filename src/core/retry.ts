import { isTransient } from './errors.js';

// The one retry loop for remote calls the SDKs do not retry for us (plain fetch, whole-object recopies,
// pg queries, rate-limited admin calls). Exponential backoff with full jitter (AWS's recommendation):
// a random wait in [0, min(cap, base*2^n)], so many writers throttled at once do not retry in lock-step.

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
}

export interface RetryOptions extends BackoffOptions {
  /** Total tries, the first included (default 6). */
  attempts?: number;
  signal?: AbortSignal;
  /** Which errors are worth another try (default: isTransient). */
  retryable?: (error: unknown) => boolean;
  /** Told before each wait: lets a rate limiter slow down on throttling (adaptive backoff). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export function backoffDelay(attempt: number, { baseMs = 50, capMs = 5000 }: BackoffOptions = {}): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` (given the 1-based try number), retrying retryable failures up to `attempts` tries. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const retryable = options.retryable ?? isTransient;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error) || options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt - 1, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
