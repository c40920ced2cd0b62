import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { zipSync } from 'fflate';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';

// The manual deploy's artifact: the build output folder, optionally built first by the project's build
// command, zipped with fixed timestamps and sorted entries, and a digest of its files (path + SHA-256
// of each) that does not depend on the zip encoder, so a rerun on the same output is recognised.

const m = messages.hostingDeploy;
const TAIL_LINES = 15;

export interface Artifact {
  dir: string;
  files: number;
  bytes: number;
  digest: string;
}

function walk(dir: string, root: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, root, out);
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(full).isFile()))
      out.push(relative(root, full).split(sep).join('/'));
  }
}

function listFiles(dir: string, field: string): string[] {
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(dir);
  } catch {
    stat = undefined;
  }
  if (!stat?.isDirectory())
    throw new EngifyError({
      code: 'HOSTING_ARTIFACT_MISSING',
      kind: 'config',
      message: m.artifactMissing(field, dir),
      hint: m.artifactMissingHint(field),
    });
  const files: string[] = [];
  walk(dir, dir, files);
  if (files.length === 0)
    throw new EngifyError({
      code: 'HOSTING_ARTIFACT_EMPTY',
      kind: 'config',
      message: m.artifactEmpty(field, dir),
      hint: m.artifactMissingHint(field),
    });
  return files.sort();
}

/** The digest and size of the folder, without building the zip (what plan needs). */
export function describeArtifact(dir: string, field: string): Artifact {
  const files = listFiles(dir, field);
  const digest = createHash('sha256');
  let bytes = 0;
  for (const f of files) {
    const body = readFileSync(join(dir, f));
    bytes += body.length;
    digest.update(`${f}\0${createHash('sha256').update(body).digest('hex')}\n`);
  }
  return { dir, files: files.length, bytes, digest: digest.digest('hex') };
}

/** The zip Amplify gets: the folder's files at the zip's root (index.html at the top). */
export function zipArtifact(dir: string, field: string): { artifact: Artifact; zip: Uint8Array } {
  const artifact = describeArtifact(dir, field);
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  const mtime = new Date('2000-01-01T00:00:00Z');
  for (const f of listFiles(dir, field)) entries[f] = [readFileSync(join(dir, f)), { mtime }];
  return { artifact, zip: zipSync(entries, { level: 6 }) };
}

export function resolveIn(base: string, path: string): string {
  return resolve(base, path);
}

/** Runs the build command in `cwd`; on failure the error carries the last lines of its output. */
export function runBuild(
  command: string,
  cwd: string,
  options: { signal?: AbortSignal; log?(line: string): void } = {},
): Promise<void> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const lines: string[] = [];
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) =>
      reject(
        new EngifyError({
          code: 'HOSTING_BUILD_FAILED',
          kind: 'config',
          message: m.buildFailed(command, cwd, String(e), []),
          hint: m.buildFailedHint,
          cause: e,
        }),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolveBuild();
      reject(
        new EngifyError({
          code: 'HOSTING_BUILD_FAILED',
          kind: 'config',
          message: m.buildFailed(command, cwd, signal ? `killed by ${signal}` : `exit code ${code}`, lines),
          hint: m.buildFailedHint,
        }),
      );
    });
  });
}
