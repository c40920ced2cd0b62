import { backoffDelay, sleep } from '../../retry.js';

// Retries for Cognito admin calls: like withRetry, plus a hook on every retry so throttling slows the
// shared rate limiter down (adaptive backoff) instead of just waiting and hitting the quota again.

export async function retryCall<T>(
  call: () => Promise<T>,
  options: {
    attempts: number;
    baseMs: number;
    capMs: number;
    signal?: AbortSignal;
    retryable(error: unknown): boolean;
    onRetry(error: unknown): void;
  },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt + 1 >= options.attempts || !options.retryable(error) || options.signal?.aborted)
        throw error;
      options.onRetry(error);
      await sleep(backoffDelay(attempt, { baseMs: options.baseMs, capMs: options.capMs }), options.signal);
    }
  }
}
