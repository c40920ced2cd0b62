import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

// s3rver alone, in a child process: it needs Node's --openssl-legacy-provider (else ListObjectsV2
// pagination answers 500 on Node 20), which the test runner and the CLI do not run with. Unlike
// stack.ts this needs no build (the child is an inline script), so file tests and benchmarks can use
// it without the rest of the stack.

export interface S3rverProcess {
  endpoint: string;
  directory: string;
  pid: number;
  stop(): Promise<void>;
}

const requireHere = createRequire(import.meta.url);
const bucketControllerUrl = () => pathToFileURL(requireHere.resolve('s3rver/lib/controllers/bucket.js')).href;

/**
 * s3rver 3.7 routes `?versioning` as no sub-resource at all (it is missing from its controller's list
 * of bucket sub-resources), so PutBucketVersioning runs CreateBucket and answers 409
 * BucketAlreadyExists, and GetBucketVersioning answers a ListObjects document. Adding it to that list
 * makes both reach the NotImplemented (501) branch s3rver's routes already have for versioning: the
 * stand-in then says what it is (no versioning) rather than give an answer real S3 never gives.
 * Call it in s3rver's process (the list is shared through the module cache), before it serves.
 */
export async function makeS3rverVersioningNotImplemented(): Promise<void> {
  const controller = (await import(bucketControllerUrl())) as { default: { METHODS: string[] } };
  const subresources = controller.default.METHODS;
  if (!subresources.includes('versioning')) subresources.push('versioning');
}

const filesystemStoreUrl = () => pathToFileURL(requireHere.resolve('s3rver/lib/stores/filesystem.js')).href;
const s3rverModelUrl = () => pathToFileURL(requireHere.resolve('s3rver/lib/models/object.js')).href;

/**
 * s3rver 3.7 lists the keys of a bucket in the order of its directory walk (a key `a/b` is a file in a
 * folder `a`), not in the UTF-8 byte order S3's ListObjectsV2 documents, and prunes folders against
 * StartAfter by that same walk: with keys such as `a/b.txt` and `a-b.txt` a paged listing skips one and
 * repeats another. This source (a function of s3rver's FilesystemStore and S3Object classes) replaces
 * its listObjects with one that sorts every key of the bucket in byte order first, then applies
 * StartAfter, Prefix, Delimiter and MaxKeys as S3 does. Kept as source text so the inline s3rver child
 * (which runs no TypeScript) and the stack's child run the very same code.
 */
export const S3RVER_LIST_IN_KEY_ORDER = `(FilesystemStore, S3Object) => {
  const fs = require('node:fs');
  const path = require('node:path');
  const SUFFIX = '._S3rver_object';
  const bytes = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  const keysUnder = (bucketPath) => {
    const out = [];
    const visit = (dir) => {
      for (const name of fs.readdirSync(dir)) {
        const full = path.posix.join(dir, name);
        if (fs.statSync(full).isDirectory()) visit(full);
        else if (full.endsWith(SUFFIX))
          out.push(FilesystemStore.decodeKeyPath(full.slice(bucketPath.length + 1, -SUFFIX.length)));
      }
    };
    visit(bucketPath);
    return out.sort(bytes);
  };
  FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const commonPrefixes = new Set();
    const keys = [];
    let isTruncated = false;
    for (const key of keysUnder(this.getBucketPath(bucket))) {
      if (bytes(key, startAfter) <= 0 || !key.startsWith(prefix)) continue;
      const idx = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
      if (idx !== -1) {
        commonPrefixes.add(key.slice(0, prefix.length + idx + delimiter.length));
        continue;
      }
      if (keys.length >= maxKeys) {
        isTruncated = true;
        break;
      }
      keys.push(key);
    }
    const metadata = await Promise.all(
      keys.map((key) => this.getMetadata(bucket, key).catch((e) => { if (e.code === 'ENOENT') return undefined; throw e; })),
    );
    return {
      objects: keys
        .map((key, i) => [key, metadata[i]])
        .filter(([, m]) => m !== undefined)
        .map(([key, m]) => new S3Object(bucket, key, null, m)),
      commonPrefixes: [...commonPrefixes].sort(bytes),
      isTruncated,
    };
  };
}`;

/** Installs S3RVER_LIST_IN_KEY_ORDER in this process's s3rver (call before it serves). */
export async function makeS3rverListInKeyOrder(): Promise<void> {
  const store = (await import(filesystemStoreUrl())) as { default: unknown };
  const model = (await import(s3rverModelUrl())) as { default: unknown };
  const install = new Function('require', `return ${S3RVER_LIST_IN_KEY_ORDER}`)(
    createRequire(import.meta.url),
  ) as (store: unknown, model: unknown) => void;
  install(store.default, model.default);
}

export interface S3rverProcessOptions {
  directory?: string;
  /**
   * s3rver's root for virtual-hosted addressing: with 'localhost', `<bucket>.s3.localhost:<port>` names
   * bucket <bucket>, as `<bucket>.s3.<region>.amazonaws.com` does on AWS (default: amazonaws.com).
   */
  serviceEndpoint?: string;
}

export async function startS3rverProcess(options: S3rverProcessOptions = {}): Promise<S3rverProcess> {
  const ownDir = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'engify-s3rver-'));
  const s3rverUrl = pathToFileURL(requireHere.resolve('s3rver')).href;
  const script = `
    const { default: S3rver } = await import(${JSON.stringify(s3rverUrl)});
    // As makeS3rverVersioningNotImplemented() does in-process.
    const { default: { METHODS: subresources } } = await import(${JSON.stringify(bucketControllerUrl())});
    if (!subresources.includes('versioning')) subresources.push('versioning');
    // As makeS3rverListInKeyOrder() does in-process.
    const { createRequire } = await import('node:module');
    const { default: FilesystemStore } = await import(${JSON.stringify(filesystemStoreUrl())});
    const { default: S3Object } = await import(${JSON.stringify(s3rverModelUrl())});
    new Function('require', 'return ' + ${JSON.stringify(S3RVER_LIST_IN_KEY_ORDER)})(createRequire(import.meta.url))(FilesystemStore, S3Object);
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: ${JSON.stringify(directory)},
      ${options.serviceEndpoint ? `serviceEndpoint: ${JSON.stringify(options.serviceEndpoint)},` : ''}
    });
    const address = await server.run();
    process.stdout.write(JSON.stringify({ port: address.port }) + '\\n');
    const stop = () => server.close().finally(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.stdin.resume();
    process.stdin.on('end', stop);
  `;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--no-warnings', '--input-type=module', '-e', script],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        reject(new Error(`s3rver child printed an unexpected line: ${line}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`s3rver child exited with ${code}: ${stderr.trim()}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (ownDir) rmSync(directory, { recursive: true, force: true });
    },
  };
}
