import { sleep } from '../../core/retry.js';

// A token bucket shared by every Cognito admin call of a run, so the run stays under the account's
// quota however many workers are busy. On throttling the rate drops multiplicatively and then climbs
// back linearly (AIMD), so a quota lower than configured is found and held instead of hammered.

export interface RateLimiterOptions {
  ratePerSecond: number;
  /** Tokens that may be spent at once after an idle spell (default: a tenth of a second's worth, at least 1). */
  burst?: number;
  /** Lowest rate adaptive backoff goes down to. */
  minRate?: number;
  now?: () => number;
}

export class RateLimiter {
  readonly configuredRate: number;
  private rate: number;
  private readonly burst: number;
  private readonly minRate: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  /** Serialises waiters so tokens are handed out in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  throttled = 0;

  constructor(options: RateLimiterOptions) {
    this.configuredRate = options.ratePerSecond;
    this.rate = options.ratePerSecond;
    this.burst = options.burst ?? Math.max(1, options.ratePerSecond / 10);
    this.minRate = options.minRate ?? Math.min(1, options.ratePerSecond);
    this.now = options.now ?? (() => performance.now());
    this.tokens = 1;
    this.last = this.now();
  }

  get currentRate(): number {
    return this.rate;
  }

  /** Resolves when the caller may make one call. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** A call was throttled (TooManyRequestsException): slow down. */
  onThrottle(): void {
    this.throttled++;
    this.rate = Math.max(this.minRate, this.rate * 0.7);
    this.tokens = Math.min(this.tokens, 0);
  }

  /** A call succeeded: recover a little towards the configured rate. */
  onSuccess(): void {
    if (this.rate < this.configuredRate)
      this.rate = Math.min(this.configuredRate, this.rate + this.configuredRate / 100);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  private async waitForToken(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      if (signal?.aborted) return;
      await sleep(((1 - this.tokens) / this.rate) * 1000, signal);
    }
  }
}

/** Runs `work` over items with at most `limit` in flight; resolves when all are done (first error rejects). */
export async function forEachConcurrent<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}
