// This tool's copy in its own process, from the compiled build (ENGIFY_DIST, default ../../dist), so its
// peak RSS (VmHWM) is the tool's and not a TypeScript loader's. Prints one JSON line; logs go to stderr.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.env.ENGIFY_DIST ?? join(import.meta.dirname, '..', '..', 'dist'));
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { parseConfig } = await load('config/load.js');
const { EngineSession } = await load('engine/session.js');
const { dbCopyStep } = await load('plans/steps/db-copy.js');

const path = process.argv[2];
if (!path) throw new Error('usage: tool-child.mjs <config path>');
const started = performance.now();
const session = new EngineSession(parseConfig(readFileSync(path, 'utf8'), path));
const ctx = session.context(dbCopyStep, {
  log: (m) => process.stderr.write(`${((performance.now() - started) / 1000).toFixed(2)}s ${m}\n`),
});
for (const change of await dbCopyStep.plan(ctx)) await dbCopyStep.apply(ctx, change);
await session.close();
const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
console.log(JSON.stringify({ ms: performance.now() - started, peakRssMb: hwmKb / 1024 }));
