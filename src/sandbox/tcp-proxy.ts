import { createConnection, createServer, type Server, type Socket } from 'node:net';

// A TCP proxy on a free loopback port in front of a real server, for fault tests: cutAll() destroys
// every open connection in both directions mid-stream (as a network failure would), and
// setBlocked(true) refuses new connections until unblocked.

export interface TcpProxy {
  port: number;
  /** URL of `url` rewritten to go through the proxy. */
  through(url: string): string;
  /** Connections currently open through the proxy. */
  openConnections(): number;
  /** Connections accepted since start. */
  accepted(): number;
  cutAll(): number;
  setBlocked(blocked: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let blocked = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = createConnection({ host: targetHost, port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    through: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    openConnections: () => pairs.size,
    accepted: () => accepted,
    cutAll: () => {
      const n = pairs.size;
      for (const [a, b] of [...pairs]) {
        // resetAndDestroy sends RST where available: the peer sees a hard failure, not a clean close.
        (a as Socket & { resetAndDestroy?: () => void }).resetAndDestroy?.() ?? a.destroy();
        (b as Socket & { resetAndDestroy?: () => void }).resetAndDestroy?.() ?? b.destroy();
      }
      pairs.clear();
      return n;
    },
    setBlocked: (value) => {
      blocked = value;
    },
    close: async () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
