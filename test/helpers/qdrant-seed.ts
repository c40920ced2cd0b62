import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';

// Talking to the Qdrant stand-in over its REST routes, as a test fixture does: requests that must
// succeed, and collections of seeded random points.

/** A request to the stand-in that must answer 200; returns its `result`. */
export function qdrantRequester(url: () => string, apiKey?: string) {
  return async (path: string, body: unknown, method = 'PUT'): Promise<unknown> => {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) },
      body: JSON.stringify(body),
    });
    expect(res.status, `${method} ${path}`).toBe(200);
    return ((await res.json()) as { result: unknown }).result;
  };
}

/** Deterministic numbers in [-0.5, 0.5) (a linear congruential generator). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export interface SeedOptions {
  dims: number;
  seed: number;
  /** Every n-th point gets a uuid id, the others integer ids. */
  /** Every n-th point gets a UUID id instead of an integer (none when unset). */
  uuidEvery?: number;
  /** Adds a numeric `score` to each payload. */
  score?: boolean;
}

/** Creates `name` and fills it with `n` random points with mixed ids and payloads (empty text, nulls). */
export async function seedRandomCollection(
  request: ReturnType<typeof qdrantRequester>,
  name: string,
  distance: string,
  n: number,
  options: SeedOptions,
): Promise<void> {
  const r = rng(options.seed);
  await request(`/collections/${name}`, { vectors: { size: options.dims, distance } });
  const points = Array.from({ length: n }, (_, i) => ({
    id: options.uuidEvery && i % options.uuidEvery === 0 ? randomUUID() : i + 1,
    vector: Array.from({ length: options.dims }, () => r()),
    payload: {
      bot_id: `bot-${i % 3}`,
      text: i % 5 === 0 ? '' : `chunk ${i}`,
      meta: { page: i, tags: ['a', null] },
      ...(options.score ? { score: i / 7 } : {}),
    },
  }));
  for (let i = 0; i < points.length; i += 100)
    await request(`/collections/${name}/points?wait=true`, { points: points.slice(i, i + 100) });
}
