import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

// A local stand-in for the Lambda Invoke API (POST /2015-03-31/functions/{FunctionName}/invocations)
// that runs the generated user-migration handler in this process, so cognito-local's UserMigration
// trigger reaches real handler code. Documented response shape: 200 with the function's JSON result;
// a function error is 200 with header X-Amz-Function-Error: Unhandled and {errorMessage, errorType}.
// The handler file is imported on each call (it is written by apply, after this server starts) and
// given the same lookup (engify.auth_legacy_hashes over pg) and bcrypt compare its AWS wiring uses.

export interface LambdaFunction {
  /** Path of the generated index.mjs (it exports createHandler). */
  handlerPath: string;
  /** LEGACY_DATABASE_URL: the target database with engify.auth_legacy_hashes. */
  databaseUrl: string;
}

export interface LambdaInvokeServer {
  url: string;
  invocations: { functionName: string; triggerSource: string; ok: boolean }[];
  register(name: string, fn: LambdaFunction): void;
  stop(): Promise<void>;
}

type Handler = (event: Record<string, unknown>) => Promise<unknown>;

export async function startLambdaInvoke(
  functions: Record<string, LambdaFunction> = {},
): Promise<LambdaInvokeServer> {
  const registry = new Map(Object.entries(functions));
  const invocations: LambdaInvokeServer['invocations'] = [];
  const pools: { end(): Promise<void> }[] = [];
  const { default: pg } = await import('pg');
  const { default: bcrypt } = await import('bcryptjs');

  const loaded = new Map<string, Handler>();
  const load = async (name: string, fn: LambdaFunction): Promise<Handler> => {
    const cached = loaded.get(name);
    if (cached) return cached;
    const mod = (await import(`${pathToFileURL(fn.handlerPath).href}?t=${Date.now()}`)) as {
      createHandler(deps: {
        lookup(email: string): Promise<unknown>;
        compare(p: string, h: string): Promise<boolean>;
      }): Handler;
    };
    const pool = new pg.Pool({ connectionString: fn.databaseUrl, max: 2 });
    // An idle client losing its server (the database stopped first) must not crash the process.
    pool.on('error', () => undefined);
    pools.push(pool);
    const handler = mod.createHandler({
      lookup: async (email) =>
        (
          await pool.query(
            'SELECT password_hash, attributes, enabled FROM engify.auth_legacy_hashes WHERE email = $1',
            [email],
          )
        ).rows[0],
      compare: (password, hash) => bcrypt.compare(password, hash),
    });
    loaded.set(name, handler);
    return handler;
  };

  const server: Server = createServer((req, res) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, {
        'content-type': 'application/json',
        'x-amzn-errortype': 'ResourceNotFoundException',
      });
      res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${req.url}` }));
      return;
    }
    const name = decodeURIComponent(match[1] ?? '');
    void (async () => {
      const event = JSON.parse((await body(req)) || '{}') as Record<string, unknown>;
      const triggerSource = String(event.triggerSource ?? '');
      const fn = registry.get(name);
      if (!fn) {
        res.writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'ResourceNotFoundException',
        });
        res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
        return;
      }
      try {
        const handler = await load(name, fn);
        const result = await handler(event);
        invocations.push({ functionName: name, triggerSource, ok: true });
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
        res.end(JSON.stringify(result));
      } catch (error) {
        invocations.push({ functionName: name, triggerSource, ok: false });
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        res.end(
          JSON.stringify({
            errorMessage: (error as Error).message,
            errorType: (error as Error).name || 'Error',
          }),
        );
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    register: (name, fn) => {
      registry.set(name, fn);
      loaded.delete(name);
    },
    stop: async () => {
      for (const p of pools.splice(0)) await p.end().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
