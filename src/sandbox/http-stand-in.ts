import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// The plumbing every HTTP stand-in shares: an in-process server on a free loopback port that records
// each request it got (so tests can assert on what the client really sent) and answers JSON.

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  /** The body's bytes as sent (uploads are binary; `body` is their UTF-8 reading). */
  bytes: Buffer;
}

export interface StandInReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as it is instead of JSON (set content-type in headers). */
  raw?: Buffer | string;
}

export type StandInHandler = (request: RecordedRequest) => StandInReply | Promise<StandInReply>;

export interface RunningStandIn {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startStandIn(handler: StandInHandler): Promise<RunningStandIn> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body: '',
        bytes: Buffer.concat(chunks),
      };
      recorded.body = recorded.bytes.toString('utf8');
      requests.push(recorded);
      Promise.resolve()
        .then(() => handler(recorded))
        .catch((error: unknown): StandInReply => ({ status: 500, body: { message: String(error) } }))
        .then((reply) => {
          const payload =
            reply.raw !== undefined ? reply.raw : reply.body === undefined ? '' : JSON.stringify(reply.body);
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(payload);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Matches "/v9/projects/{idOrName}" style patterns; returns the decoded path parameters. */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith('{') && w.endsWith('}')) params[w.slice(1, -1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return params;
}

export function bearer(request: RecordedRequest): string | undefined {
  const h = request.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice('Bearer '.length) : undefined;
}
