import type { Json } from './contracts.js';

/**
 * Where a sync pass got to, per key (a watermark per bucket, what was carried per object): kept beside
 * the journal, not in it, so a lookup costs nothing and the journal does not grow by one record per
 * object. Every write is durable before it returns.
 */
export interface MarkStore {
  get(key: string): Json | undefined;
  entries(): [string, Json][];
  /** null deletes the key. */
  set(key: string, value: Json | null): void;
  /** Forgets every mark of this scope (a rollback of what the marks describe). */
  clear(): void;
  close(): void;
}
