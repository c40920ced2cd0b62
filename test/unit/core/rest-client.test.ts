import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Retry, retryableStatus, withRetries } from '../../../src/core/rest-client.js';

// The retry mechanism the REST (Vercel, Render) and GraphQL (Railway) clients share, over a real
// local HTTP server that answers from a script of statuses.

let server: Server;
let base: string;
let script: number[] = [];
let calls = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    calls++;
    const status = script.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const call = (attempts: number, url = base) => {
  calls = 0;
  return withRetries<unknown>({
    attempts,
    timeoutMs: 2000,
    backoffMs: () => 0,
    request: (signal) => fetch(url, { signal }),
    settle: (a) => {
      if (a.ok) return a.body;
      if (retryableStatus(a.status)) return new Retry(new Error(`HTTP ${a.status}`));
      throw new Error(`refused ${a.status}`);
    },
    exhausted: (last) => new Error(`gave up: ${last instanceof Error ? last.message : String(last)}`),
  });
};

describe('withRetries', () => {
  it('retries 429 and 5xx, then returns the parsed body', async () => {
    script = [503, 429, 200];
    await expect(call(5)).resolves.toEqual({ status: 200 });
    expect(calls).toBe(3);
  });

  it('stops at once on what settle refuses (a 4xx), without another try', async () => {
    script = [404, 200];
    await expect(call(5)).rejects.toThrow('refused 404');
    expect(calls).toBe(1);
  });

  it('gives up after the last attempt with the last reason, network errors included', async () => {
    script = [500, 502, 503];
    await expect(call(3)).rejects.toThrow('gave up: HTTP 503');
    expect(calls).toBe(3);
    await expect(call(2, 'http://127.0.0.1:1')).rejects.toThrow(/gave up: fetch failed/);
  });
});
