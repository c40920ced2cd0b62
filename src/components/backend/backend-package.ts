import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';

// The zip that runs the Render service unmodified on Lambda through the Web Adapter: the checkout,
// built with the service's own build command in a staging copy, plus a start script (the handler,
// run by the adapter under AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) that fetches the function's secret
// from the Parameters and Secrets extension into the environment and then runs the start command as
// is. Before anything is uploaded the built app is started locally and must answer the readiness
// check on $PORT, so a start command that never listens is caught with nothing written.

const m = messages.backend;
const ZIP_EPOCH = new Date('1980-01-01T00:00:00Z');
const SKIP = new Set(['.git', '.venv', '__pycache__', '.engify']);

export interface BuiltPackage {
  zip: Uint8Array;
  /** base64 SHA-256 of the zip, as Lambda reports CodeSha256. */
  sha256: string;
  bytes: number;
  unzipped: number;
  files: number;
  stageDir: string;
  zipPath: string;
  /** Extra function env the packaging needs (PYTHONPATH to vendored packages). */
  env: Record<string, string>;
}

export type RuntimeKind = 'python' | 'node';

export function runtimeKind(runtime: string | null): RuntimeKind | undefined {
  if (!runtime) return undefined;
  if (/^python/i.test(runtime)) return 'python';
  if (/^node/i.test(runtime)) return 'node';
  return undefined;
}

export const LAMBDA_RUNTIME: Record<RuntimeKind, string> = { python: 'python3.12', node: 'nodejs20.x' };

const PY_WRAPPER = `# Written by engify-migrate: loads the function's secret into the environment, then runs the
# service's start command unmodified. The secret comes from the AWS Parameters and Secrets Lambda
# Extension (GET /secretsmanager/get on PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, default 2773).
import json, os, sys, time, urllib.parse, urllib.request

secret_id = os.environ.get("ENGIFY_SECRET_ID")
if secret_id:
    port = os.environ.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2773")
    url = "http://localhost:%s/secretsmanager/get?secretId=%s" % (port, urllib.parse.quote(secret_id, safe=""))
    req = urllib.request.Request(url, headers={"X-Aws-Parameters-Secrets-Token": os.environ.get("AWS_SESSION_TOKEN", "")})
    for attempt in range(100):
        try:
            with urllib.request.urlopen(req, timeout=5) as res:
                values = json.loads(json.loads(res.read())["SecretString"])
            break
        except OSError:
            if attempt == 99:
                raise
            time.sleep(0.05)
    for key, value in values.items():
        os.environ.setdefault(key, value)
os.execvp("/bin/sh", ["/bin/sh", "-c", sys.argv[1]])
`;

const NODE_WRAPPER = `// Written by engify-migrate: loads the function's secret into the environment, then runs the
// service's start command unmodified (see engify_env.py for the Python twin).
import { spawn } from 'node:child_process';
const id = process.env.ENGIFY_SECRET_ID;
if (id) {
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';
  const url = \`http://localhost:\${port}/secretsmanager/get?secretId=\${encodeURIComponent(id)}\`;
  let values;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, { headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' } });
      values = JSON.parse((await res.json()).SecretString);
      break;
    } catch (e) {
      if (attempt === 99) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  for (const [k, v] of Object.entries(values)) process.env[k] ??= v;
}
const child = spawn('/bin/sh', ['-c', process.argv[2]], { stdio: 'inherit' });
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => child.kill(s));
child.on('exit', (code) => process.exit(code ?? 1));
`;

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function startScript(kind: RuntimeKind, startCommand: string): string {
  const run = kind === 'python' ? 'python3 engify_env.py' : 'node engify-env.mjs';
  return `#!/bin/sh\n# Lambda Web Adapter start script (the function handler), written by engify-migrate.\ncd "\${LAMBDA_TASK_ROOT:-$(dirname "$0")}"\nexec ${run} ${shQuote(startCommand)}\n`;
}

function tailOf(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function runShell(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer) => {
      output = (output + c.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => resolve({ code, output }));
    child.on('error', (e) => resolve({ code: 127, output: e.message }));
  });
}

function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, base, out);
    else if (entry.isFile()) out.push(relative(base, full));
  }
  return out.sort();
}

/** Copies, builds, adds the start script and zips (deterministically: same files, same digest). */
export async function buildPackage(input: {
  sourceDir: string;
  workDir: string;
  buildCommand: string | null;
  startCommand: string;
  kind: RuntimeKind;
  maxZipBytes: number;
  maxUnzippedBytes: number;
  functionName: string;
}): Promise<BuiltPackage> {
  if (!existsSync(input.sourceDir) || !statSync(input.sourceDir).isDirectory())
    throw new EngifyError({
      code: 'BACKEND_SOURCE_MISSING',
      kind: 'config',
      message: m.sourceMissing(input.sourceDir),
      hint: m.sourceMissingHint,
    });
  const stageDir = join(input.workDir, 'stage');
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(input.workDir, { recursive: true });
  cpSync(input.sourceDir, stageDir, {
    recursive: true,
    filter: (src) => !SKIP.has(src.split('/').at(-1) ?? ''),
  });
  const env: Record<string, string> = {};
  const vendored = join(stageDir, '.python-packages');
  if (input.buildCommand) {
    // pip honours PIP_TARGET: Python dependencies land inside the package instead of the machine.
    const buildEnv = { ...process.env, ...(input.kind === 'python' ? { PIP_TARGET: vendored } : {}) };
    const r = await runShell(input.buildCommand, stageDir, buildEnv);
    if (r.code !== 0)
      throw new EngifyError({
        code: 'BACKEND_BUILD_FAILED',
        kind: 'config',
        message: m.buildFailed(input.buildCommand, r.code, tailOf(r.output)),
        hint: m.buildFailedHint,
      });
  }
  if (input.kind === 'python' && existsSync(vendored)) env.PYTHONPATH = '/var/task/.python-packages';
  writeFileSync(join(stageDir, 'run.sh'), startScript(input.kind, input.startCommand));
  writeFileSync(
    join(stageDir, input.kind === 'python' ? 'engify_env.py' : 'engify-env.mjs'),
    input.kind === 'python' ? PY_WRAPPER : NODE_WRAPPER,
  );

  const files: Record<string, [Uint8Array, { mtime: Date; attrs: number }]> = {};
  let unzipped = 0;
  const paths = walk(stageDir);
  for (const path of paths) {
    const data = readFileSync(join(stageDir, path));
    unzipped += data.length;
    const mode = statSync(join(stageDir, path)).mode & 0o777;
    // Lambda runs the handler script itself: it must be executable in the zip.
    const perm = path === 'run.sh' ? 0o755 : mode | 0o444;
    files[path] = [new Uint8Array(data), { mtime: ZIP_EPOCH, attrs: ((0o100000 | perm) << 16) >>> 0 }];
  }
  if (unzipped > input.maxUnzippedBytes)
    throw new EngifyError({
      code: 'BACKEND_PACKAGE_TOO_LARGE',
      kind: 'config',
      message: m.unzippedTooLarge(unzipped, input.maxUnzippedBytes),
      hint: m.unzippedTooLargeHint,
    });
  const zip = zipSync(files, { level: 6, os: 3 } as never);
  const zipPath = join(input.workDir, `${input.functionName}.zip`);
  writeFileSync(zipPath, zip);
  if (zip.length > input.maxZipBytes)
    throw new EngifyError({
      code: 'BACKEND_ZIP_TOO_LARGE',
      kind: 'config',
      message: m.zipTooLarge(zip.length, input.maxZipBytes),
      hint: m.zipTooLargeHint(zipPath, input.functionName),
    });
  return {
    zip,
    sha256: createHash('sha256').update(zip).digest('base64'),
    bytes: zip.length,
    unzipped,
    files: paths.length,
    stageDir,
    zipPath,
    env,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function probe(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Starts the built app as the adapter would (start script, PORT and AWS_LWA_PORT set, the function's
 * env) and waits for the readiness check: any status 100-499 on GET `path`. Always stops the app.
 */
export async function checkReadiness(input: {
  stageDir: string;
  startCommand: string;
  env: Record<string, string>;
  path: string;
  port: number;
  timeoutSeconds: number;
  pollMs?: number;
}): Promise<void> {
  const local = await freePort();
  const child = spawn('/bin/sh', ['-c', input.startCommand], {
    cwd: input.stageDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...Object.fromEntries(
        Object.entries(input.env).map(([k, v]) => [k, v.replaceAll('/var/task', input.stageDir)]),
      ),
      PORT: String(local),
      AWS_LWA_PORT: String(local),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  try {
    const deadline = Date.now() + input.timeoutSeconds * 1000;
    for (;;) {
      const status = await probe(local, input.path);
      if (status >= 100 && status < 500) return;
      if (exited || Date.now() > deadline)
        throw new EngifyError({
          code: 'BACKEND_NOT_LISTENING',
          kind: 'config',
          message: m.notListening(
            input.startCommand,
            input.path,
            input.port,
            input.timeoutSeconds,
            tailOf(output, 8),
          ),
          hint: m.notListeningHint,
        });
      await new Promise((r) => setTimeout(r, input.pollMs ?? 25));
    }
  } finally {
    // The whole process group: `sh -c` may have forked the app rather than exec'd it.
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}

const SCAN_EXT = /\.(py|js|mjs|cjs|ts|rb|go|ya?ml|toml|txt|json)$|^Procfile$/;
const PATTERNS: { key: string; re: RegExp }[] = [
  { key: 'websockets', re: /websocket|socket\.io|\bWebSocketServer\b/i },
  {
    key: 'after-response',
    re: /BackgroundTasks|add_task\(|threading\.Thread\(|asyncio\.create_task\(|setImmediate\(/,
  },
  { key: 'crons', re: /APScheduler|node-cron|\bcrontab\b|^\s*type:\s*cron/im },
  { key: 'workers', re: /celery\s+worker|\brq\s+worker|^worker:|^\s*type:\s*worker/im },
];

/** What in the checkout suggests work Lambda runs differently (file:line of the first hit per kind). */
export function scanSource(dir: string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  if (!dir || !existsSync(dir)) return found;
  for (const path of walk(dir)
    .filter((p) => SCAN_EXT.test(p.split('/').at(-1) ?? ''))
    .slice(0, 2000)) {
    if (path.startsWith('node_modules/') || path.startsWith('.python-packages/')) continue;
    const full = join(dir, path);
    if (statSync(full).size > 512 * 1024) continue;
    const lines = readFileSync(full, 'utf8').split('\n');
    for (const { key, re } of PATTERNS) {
      if (found.has(key)) continue;
      const at = lines.findIndex((l) => re.test(l));
      if (at >= 0) found.set(key, `${path}:${at + 1}`);
    }
  }
  return found;
}
