// files.copy in its own process, from the compiled build (ENGIFY_DIST, default ../../dist), so its peak
// RSS (VmHWM) is the tool's alone: not the seeding's buffers, not a TypeScript loader's. Prints one
// JSON line; logs go to stderr.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.env.ENGIFY_DIST ?? join(import.meta.dirname, '..', '..', 'dist'));
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { parseConfig } = await load('core/load-config.js');
const { EngineSession } = await load('engine/session.js');
const { filesCopy } = await load('components/files/files-copy.js');

const path = process.argv[2];
if (!path) throw new Error('usage: tool-child.mjs <config path>');
const started = performance.now();
const session = new EngineSession(parseConfig(readFileSync(path, 'utf8'), path));
const ctx = session.context(filesCopy, { log: (m) => process.stderr.write(`${m}\n`) });
for (const change of await filesCopy.plan(ctx)) await filesCopy.apply(ctx, change);
await session.close();
const cpu = process.cpuUsage();
const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
console.log(
  JSON.stringify({
    ms: performance.now() - started,
    cpuUser: cpu.user / 1e6,
    cpuSystem: cpu.system / 1e6,
    peakRssMb: hwmKb / 1024,
  }),
);
