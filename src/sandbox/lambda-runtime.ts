import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, normalize } from 'node:path';
import { unzipSync } from 'fflate';
import { freePort } from './free-port.js';

// What runs a zip-packaged function in the Lambda stand-in, the way the AWS Lambda Web Adapter does
// (https://awslabs.github.io/aws-lambda-web-adapter/): with AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap and
// the adapter layer attached, the handler is a start script that runs the web app; the adapter waits
// for a GET on AWS_LWA_READINESS_CHECK_PATH (default "/") to answer any status 100-499, retrying every
// 10 ms, on AWS_LWA_PORT (falling back to PORT, default 8080), then turns each invocation event
// (API Gateway HTTP API payload 2.0) into an HTTP request to the app and its response into
// { statusCode, headers, cookies, body, isBase64Encoded }, passing requestContext in the
// x-amzn-request-context header.
//
// Where one host differs from a Lambda sandbox: every sandbox has its own network namespace, so the
// app's port is always free there; here each instance gets a free port, given to it as AWS_LWA_PORT
// and PORT. The code is unpacked in a folder of its own, which stands for /var/task in the env.

export interface RuntimeSpec {
  name: string;
  zip: Uint8Array;
  handler: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  region: string;
  /** Extra variables the sandbox itself sets (the secrets extension's port, ...). */
  sandboxEnv?: Record<string, string>;
}

export interface InvokeOutcome {
  /** The function's JSON result, or the runtime error. */
  payload: unknown;
  error?: 'Unhandled';
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);
const RESPONSE_LIMIT = 6 * 1024 * 1024;
const TEXTUAL = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|.*\+json|.*\+xml)/;

export class FunctionInstance {
  private child: ChildProcess | undefined;
  private port = 0;
  private ready: Promise<void> | undefined;
  private output = '';
  readonly dir: string;
  readonly sessionToken = randomBytes(16).toString('hex');

  constructor(
    private readonly spec: RuntimeSpec,
    root: string,
  ) {
    this.dir = join(root, `${spec.name}-${randomBytes(4).toString('hex')}`);
  }

  /** The app's recent output (for errors). */
  tail(): string {
    return this.output.split('\n').slice(-15).join('\n');
  }

  private unpack(): void {
    const files = unzipSync(this.spec.zip);
    for (const [path, data] of Object.entries(files)) {
      const target = normalize(join(this.dir, path));
      if (!target.startsWith(this.dir)) continue;
      if (path.endsWith('/')) {
        mkdirSync(target, { recursive: true });
        continue;
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data, { mode: 0o755 });
    }
  }

  private async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.unpack();
    const env = this.spec.environment;
    this.port = await freePort();
    const mapped = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, v.replaceAll('/var/task', this.dir)]),
    );
    const childEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.dir,
      LANG: 'C.UTF-8',
      ...mapped,
      ...this.spec.sandboxEnv,
      AWS_LAMBDA_FUNCTION_NAME: this.spec.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      AWS_REGION: this.spec.region,
      AWS_DEFAULT_REGION: this.spec.region,
      AWS_SESSION_TOKEN: this.sessionToken,
      LAMBDA_TASK_ROOT: this.dir,
      AWS_LWA_PORT: String(this.port),
      PORT: String(this.port),
    };
    const child = spawn('/bin/sh', [join(this.dir, this.spec.handler)], {
      cwd: this.dir,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: the start script's children (the app) are stopped with it.
      detached: true,
    });
    this.child = child;
    const keep = (c: Buffer) => {
      this.output = (this.output + c.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`Runtime exited with error: exit status ${code}. ${this.tail()}`)),
      ),
    );
    exited.catch(() => undefined);
    const path = env.AWS_LWA_READINESS_CHECK_PATH ?? '/';
    const deadline = Date.now() + this.spec.timeoutSeconds * 1000;
    const probe = async (): Promise<void> => {
      for (;;) {
        const status = await get(this.port, path).catch(() => 0);
        if (status >= 100 && status < 500) return;
        if (Date.now() > deadline)
          throw new Error(
            `Init timed out: the app never answered the readiness check GET ${path} on port ${this.port} (AWS_LWA_PORT) within ${this.spec.timeoutSeconds} s. ${this.tail()}`,
          );
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await Promise.race([probe(), exited]);
  }

  /** Runs one invocation; the first starts the app (a cold start). */
  async invoke(event: Record<string, unknown>): Promise<InvokeOutcome> {
    try {
      this.ready ??= this.start();
      await this.ready;
    } catch (error) {
      this.ready = undefined;
      this.stop();
      return {
        error: 'Unhandled',
        payload: { errorType: 'Runtime.InitError', errorMessage: (error as Error).message },
      };
    }
    try {
      return { payload: await this.forward(event) };
    } catch (error) {
      return {
        error: 'Unhandled',
        payload: { errorType: (error as Error).name || 'Error', errorMessage: (error as Error).message },
      };
    }
  }

  private forward(event: Record<string, unknown>): Promise<unknown> {
    const ctx = (event.requestContext ?? {}) as { http?: { method?: string } };
    const method = ctx.http?.method ?? 'GET';
    const query =
      typeof event.rawQueryString === 'string' && event.rawQueryString ? `?${event.rawQueryString}` : '';
    const path = `${typeof event.rawPath === 'string' ? event.rawPath : '/'}${query}`;
    const headers: Record<string, string> = { ...((event.headers as Record<string, string>) ?? {}) };
    if (Array.isArray(event.cookies) && event.cookies.length) headers.cookie = event.cookies.join('; ');
    headers['x-amzn-request-context'] = JSON.stringify(event.requestContext ?? {});
    const body =
      typeof event.body === 'string'
        ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
        : Buffer.alloc(0);
    headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        req.destroy();
        const e = new Error(`Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`);
        e.name = 'Sandbox.Timedout';
        reject(e);
      }, this.spec.timeoutSeconds * 1000);
      const req = request({ host: '127.0.0.1', port: this.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const raw = Buffer.concat(chunks);
          const out: Record<string, string> = {};
          const cookies: string[] = [];
          for (const [k, v] of Object.entries(res.headers)) {
            if (v === undefined || HOP_BY_HOP.has(k)) continue;
            if (k === 'set-cookie') cookies.push(...(Array.isArray(v) ? v : [v]));
            else out[k] = Array.isArray(v) ? v.join(',') : v;
          }
          const textual = raw.length === 0 || TEXTUAL.test(out['content-type'] ?? 'text/plain');
          const result = {
            statusCode: res.statusCode ?? 502,
            headers: out,
            ...(cookies.length ? { cookies } : {}),
            body: textual ? raw.toString('utf8') : raw.toString('base64'),
            isBase64Encoded: !textual,
          };
          if (JSON.stringify(result).length > RESPONSE_LIMIT) {
            const e = new Error(
              `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT} bytes).`,
            );
            e.name = 'Function.ResponseSizeTooLarge';
            reject(e);
            return;
          }
          resolve(result);
        });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end(body);
    });
  }

  stop(): void {
    const child = this.child;
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    this.child = undefined;
    this.ready = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
