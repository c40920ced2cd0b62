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

/**
 * The oldest Qdrant this tool works with: verify samples points with the Query API's `sample: random`,
 * which Qdrant 1.11.0 added (qdrant.tech/blog/qdrant-1.11.x, "Random Sampling"). The client is opened with
 * checkCompatibility off (it would only print a console warning, mid-output), so the preflight checks it.
 */
export const QDRANT_MIN_VERSION = '1.11.0';

/** The server's version from GET / (`{title, version}`), or undefined when it gives none. */
export async function qdrantServerVersion(config: QdrantConfig): Promise<string | undefined> {
  const client = await openQdrantClient(config);
  const info = await client.versionInfo();
  return typeof info.version === 'string' ? info.version : undefined;
}

/** `version` is older than `minimum` (major.minor.patch; a pre-release suffix is ignored). */
export function olderThan(version: string, minimum: string): boolean {
  const parts = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
  const a = parts(version);
  const b = parts(minimum);
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (Number.isNaN(d)) return false;
    if (d !== 0) return d < 0;
  }
  return false;
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
