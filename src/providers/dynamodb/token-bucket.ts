import { sleep } from '../../core/retry.js';

/** Token bucket: `rate` tokens per second, bursts up to one second's worth. Rate 0 means unlimited. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  async take(n: number, signal?: AbortSignal): Promise<void> {
    if (this.rate <= 0) return;
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      // A request larger than the bucket may go once the bucket is full (it then runs a debt).
      if (this.tokens >= Math.min(n, this.rate)) {
        this.tokens -= n;
        return;
      }
      await sleep(((Math.min(n, this.rate) - this.tokens) / this.rate) * 1000, signal);
    }
  }
}
