import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

// One GET of a page of a deployed site, with its status and the SHA-256 of its body. `via` (a local
// stack) sends the request to another origin and keeps the site's host in the Host header, which is
// how the Amplify stand-in tells branches apart, as CloudFront does by the requested name.

export interface PageAnswer {
  status: number;
  sha256: string;
  bytes: number;
}

export function fetchPage(
  url: string,
  options: { via?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<PageAnswer> {
  const target = new URL(url);
  const connect = options.via ? new URL(options.via) : target;
  const send = connect.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        protocol: connect.protocol,
        hostname: connect.hostname,
        port: connect.port || undefined,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        headers: { host: target.host, 'user-agent': 'engify-migrate (smoke check)' },
        timeout: options.timeoutMs ?? 15_000,
        signal: options.signal,
      },
      (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, sha256: hash.digest('hex'), bytes }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}
