import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { EngifyError, isTransient } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { backoffDelay, sleep } from '../../core/retry.js';
import { TokenBucket } from './token-bucket.js';

// BatchWriteItem in groups of 25 (the API's maximum), a bounded number in flight, a token-bucket rate,
// UnprocessedItems and throttling retried with exponential backoff and full jitter. Puts are upserts by
// key, so a replayed batch duplicates nothing; keys repeated within one call are collapsed (last wins),
// since BatchWriteItem refuses duplicate keys in one request.

export const BATCH_LIMIT = 25;

export interface BatchWriterOptions {
  table: string;
  concurrency: number;
  writesPerSecond: number;
  /** Attempts per group of 25 before giving up (throttling and UnprocessedItems alike). */
  maxAttempts?: number;
  signal?: AbortSignal;
}

export interface WriterStats {
  requests: number;
  retries: number;
  unprocessedRetried: number;
  throttled: number;
}

type Key = Record<string, AttributeValue>;

export class BatchWriter {
  readonly stats: WriterStats = { requests: 0, retries: 0, unprocessedRetried: 0, throttled: 0 };
  private readonly bucket: TokenBucket;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: BatchWriterOptions,
  ) {
    this.bucket = new TokenBucket(options.writesPerSecond);
  }

  put(items: { key: string; item: Record<string, AttributeValue> }[]): Promise<number> {
    const unique = new Map<string, WriteRequest>();
    for (const { key, item } of items) unique.set(key, { PutRequest: { Item: item } });
    return this.run([...unique.values()]);
  }

  delete(keys: Key[]): Promise<number> {
    const unique = new Map<string, WriteRequest>();
    for (const key of keys) unique.set(JSON.stringify(key), { DeleteRequest: { Key: key } });
    return this.run([...unique.values()]);
  }

  private async run(requests: WriteRequest[]): Promise<number> {
    const groups: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) groups.push(requests.slice(i, i + BATCH_LIMIT));
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const group = groups[next++]!;
        await this.send(group);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, groups.length) }, worker));
    return requests.length;
  }

  private async send(group: WriteRequest[]): Promise<void> {
    const { BatchWriteItemCommand } = await import('@aws-sdk/client-dynamodb');
    const maxAttempts = this.options.maxAttempts ?? 10;
    let pending = group;
    for (let attempt = 0; ; attempt++) {
      await this.bucket.take(pending.length, this.options.signal);
      this.stats.requests++;
      try {
        const out = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.options.table]: pending } }),
          { abortSignal: this.options.signal },
        );
        const left = out.UnprocessedItems?.[this.options.table] ?? [];
        if (left.length === 0) return;
        this.stats.unprocessedRetried += left.length;
        pending = left;
      } catch (error) {
        if (!isTransient(error)) throw error;
        this.stats.throttled++;
        if (attempt + 1 >= maxAttempts) {
          throw new EngifyError({
            code: 'DYNAMODB_WRITE_THROTTLED',
            kind: 'transient',
            message: messages.vectors.writeGaveUp(this.options.table, maxAttempts),
            hint: messages.vectors.writeGaveUpHint,
            cause: error,
          });
        }
      }
      if (attempt + 1 >= maxAttempts) {
        throw new EngifyError({
          code: 'DYNAMODB_UNPROCESSED',
          kind: 'transient',
          message: messages.vectors.unprocessedGaveUp(this.options.table, pending.length, maxAttempts),
          hint: messages.vectors.writeGaveUpHint,
        });
      }
      this.stats.retries++;
      await sleep(backoffDelay(attempt), this.options.signal);
    }
  }
}
