import type { QdrantClient } from '@qdrant/js-client-rest';
import type { QdrantConfig } from '../../config/schema.js';
import { isTransient } from '../../core/errors.js';

// The Qdrant client as the source reads through it and the reverse vectors pass writes through it.

/** A client for source.qdrant, with its request timeout; the library is loaded on first use. */
export async function openQdrantClient(config: QdrantConfig): Promise<QdrantClient> {
  const { QdrantClient } = await import('@qdrant/js-client-rest');
  return new QdrantClient({
    url: config.url,
    // Sent as a header rather than `apiKey`: the client prints a console warning for keys over http, which
    // would land in the middle of our own output for local and in-VPC Qdrant URLs.
    ...(config.apiKey ? { headers: { 'api-key': config.apiKey } } : {}),
    timeout: config.requestTimeoutMs,
    checkCompatibility: false,
  });
}

/** Timeouts, rate limiting and network failures: worth another attempt. */
export function qdrantTransient(error: unknown): boolean {
  if (isTransient(error)) return true;
  const name = (error as { name?: string })?.name;
  return (
    name === 'QdrantClientTimeoutError' ||
    name === 'QdrantClientResourceExhaustedError' ||
    name === 'TypeError'
  );
}
