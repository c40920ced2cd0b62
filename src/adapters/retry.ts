import { isTransient } from '../engine/errors.js';

// Exponential backoff with full jitter (AWS's recommendation): a random wait in [0, min(cap, base*2^n)],
// so many writers throttled at once do not retry in lock-step.

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
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

/** Runs `fn`, retrying transient failures (throttling, 5xx, resets, timeouts) up to `attempts` times. */
export async function withRetry<T>(
  fn: () => Promise<T>,
  options: BackoffOptions & {
    attempts?: number;
    signal?: AbortSignal;
    transient?: (e: unknown) => boolean;
  } = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const transient = options.transient ?? isTransient;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt + 1 >= attempts || !transient(error)) throw error;
      await sleep(backoffDelay(attempt, options), options.signal);
    }
  }
}
