import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// An HTTP proxy in front of s3rver that lets a test answer chosen S3 requests itself, the way real S3
// does where s3rver cannot (409 OperationAborted, a versioning-enabled bucket). Every other request is
// forwarded unchanged, Host header included, so SigV4 signatures still verify on s3rver.

export interface S3Answer {
  status: number;
  body?: string;
}

export interface S3AnswerProxy {
  endpoint: string;
  /** Requests seen, as "METHOD /path?query". */
  seen: string[];
  close(): Promise<void>;
}

/** `answer` returns a reply for the request, or undefined to forward it to s3rver. */
export async function startS3AnswerProxy(
  upstream: string,
  answer: (req: IncomingMessage, body: Buffer) => S3Answer | undefined,
): Promise<S3AnswerProxy> {
  const target = new URL(upstream);
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push(`${req.method} ${req.url}`);
      const reply = answer(req, body);
      if (reply) {
        res.writeHead(reply.status, {
          'content-type': 'application/xml',
          'x-amz-request-id': 'STANDIN',
          ...(reply.body ? { 'content-length': Buffer.byteLength(reply.body) } : { 'content-length': 0 }),
        });
        res.end(reply.body ?? '');
        return;
      }
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** S3's error document (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>STANDIN</RequestId><HostId>STANDIN</HostId></Error>`;
}
