import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { unzipSync } from 'fflate';

// The Amplify stand-in's jobs and the sites they publish. A manual deployment's zip (PUT to the
// zipUploadUrl CreateDeployment returned) is unpacked when StartDeployment runs it; a RELEASE job of a
// repository-connected app runs the build phase commands of the app's build spec in a local folder that
// stands in for the clone (the preBuild install is left out: that folder is already installed) and
// publishes its artifacts.baseDirectory. Each branch's last successful job is served on a local port,
// chosen by the Host header <branch displayName>.<app defaultDomain>, as the branch's default URL is.

type Stored = Record<string, unknown>;

export interface JobRecord {
  summary: Stored;
  steps: Stored[];
  zip?: Buffer;
  log: string;
}

export interface BranchSites {
  hostingUrl: string;
  /** Where a branch's live site is unpacked (undefined before its first successful job). */
  servedDir(appId: string, branchName: string): string | undefined;
  upload(key: string, zip: Buffer): boolean;
  /** Runs a job to its end (after `delayMs`), updating `job` in place. */
  run(input: RunInput): void;
  log(key: string): string | undefined;
  close(): Promise<void>;
}

export interface RunInput {
  app: Stored;
  branch: Stored;
  job: JobRecord;
  key: string;
  /** Local folder standing in for the repository clone (RELEASE jobs). */
  repositoryDir?: string;
  logUrl: (step: string) => string;
}

/** The build phase commands and artifacts.baseDirectory of a build spec as hosting.app writes it. */
export function parseBuildSpec(spec: string): { commands: string[]; baseDirectory: string } {
  const lines = spec.split('\n');
  const commands: string[] = [];
  let inBuild = false;
  let baseDirectory = '.';
  for (const line of lines) {
    if (/^\s*build:\s*$/.test(line)) inBuild = true;
    else if (inBuild && /^\s*-\s+/.test(line)) commands.push(unquote(line.replace(/^\s*-\s+/, '')));
    else if (inBuild && !/^\s*commands:\s*$/.test(line)) inBuild = false;
    const base = line.match(/^\s*baseDirectory:\s*(.+)$/);
    if (base?.[1]) baseDirectory = unquote(base[1].trim());
  }
  return { commands, baseDirectory };
}

const unquote = (v: string) => (v.startsWith('"') ? (JSON.parse(v) as string) : v);

function runShell(commands: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', commands.join(' && ')], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('error', (e) => resolve({ ok: false, output: `${output}${String(e)}\n` }));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}

function unpack(zip: Buffer, into: string): number {
  const files = unzipSync(new Uint8Array(zip));
  let n = 0;
  for (const [name, body] of Object.entries(files)) {
    if (name.endsWith('/')) continue;
    const path = normalize(join(into, name));
    if (!path.startsWith(into)) throw new Error(`zip entry ${name} leaves the site folder`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
    n++;
  }
  return n;
}

export async function startBranchSites(options: {
  delayMs: number;
  apps: () => Iterable<{ app: Stored; branches: Map<string, Stored> }>;
}): Promise<BranchSites> {
  const root = mkdtempSync(join(tmpdir(), 'amplify-sites-'));
  const served = new Map<string, string>();
  const uploads = new Map<string, Buffer>();
  const logs = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    let dir: string | undefined;
    for (const { app, branches } of options.apps())
      for (const [name, branch] of branches)
        if (host === `${(branch.displayName as string) || name}.${app.defaultDomain as string}`)
          dir = served.get(`${app.appId as string}/${name}`);
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = dir ? normalize(join(dir, path)) : undefined;
    if (file && dir && file.startsWith(dir) && existsSync(file) && statSync(file).isDirectory())
      file = join(file, 'index.html');
    if (!file || !dir || !file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>404 Not Found</h1>');
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.html') ? 'text/html' : 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const setStatus = (job: JobRecord, status: string) => {
    job.summary.status = status;
    for (const s of job.steps) s.status = status === 'RUNNING' ? 'RUNNING' : status;
    if (status === 'SUCCEED' || status === 'FAILED') {
      job.summary.endTime = Math.floor(Date.now() / 1000);
      for (const s of job.steps) s.endTime = job.summary.endTime;
    }
  };

  const publish = (input: RunInput, from: (into: string) => Promise<string | undefined>) => {
    const { job, key } = input;
    const stepName = job.steps[0]?.stepName as string;
    setStatus(job, 'RUNNING');
    const timer = setTimeout(async () => {
      timers.delete(timer);
      const into = join(root, key.replace(/\//g, '_'));
      mkdirSync(into, { recursive: true });
      let failure: string | undefined;
      try {
        failure = await from(into);
      } catch (e) {
        failure = String(e);
      }
      logs.set(`${key}/${stepName}`, `${job.log}${failure ? `\n${failure}\n` : '\nDeployment complete\n'}`);
      if (failure) {
        rmSync(into, { recursive: true, force: true });
        const failed = job.steps.find((s) => s.stepName === stepName);
        setStatus(job, 'FAILED');
        if (failed) failed.logUrl = input.logUrl(stepName);
        return;
      }
      served.set(`${input.app.appId as string}/${input.branch.branchName as string}`, into);
      input.branch.activeJobId = job.summary.jobId;
      for (const s of job.steps) s.logUrl = input.logUrl(s.stepName as string);
      setStatus(job, 'SUCCEED');
    }, options.delayMs);
    timers.add(timer);
  };

  return {
    hostingUrl: `http://127.0.0.1:${port}`,
    servedDir: (appId, branchName) => served.get(`${appId}/${branchName}`),
    upload(key, zip) {
      uploads.set(key, zip);
      return true;
    },
    run(input) {
      if (input.repositoryDir !== undefined) {
        const dir = input.repositoryDir;
        publish(input, async (into) => {
          if (!existsSync(dir)) return `Unable to clone repository: ${dir} not found`;
          const spec = parseBuildSpec((input.app.buildSpec as string) ?? '');
          const built = await runShell(spec.commands.length ? spec.commands : ['true'], dir);
          input.job.log += built.output;
          if (!built.ok) return 'Build failed: a build command exited with a non-zero code';
          const out = join(dir, spec.baseDirectory);
          if (!existsSync(out)) return `Artifact directory ${spec.baseDirectory} does not exist`;
          cpSync(out, into, { recursive: true });
          return undefined;
        });
        return;
      }
      publish(input, async (into) => {
        const zip = uploads.get(input.key);
        if (!zip) return 'No zip was uploaded to the deployment URL';
        const n = unpack(zip, into);
        input.job.log += `Unpacked ${n} file(s)\n`;
        return n === 0 ? 'The uploaded zip holds no files' : undefined;
      });
    },
    log: (key) => logs.get(key),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
