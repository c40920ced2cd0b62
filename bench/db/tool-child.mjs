// This tool's schema translation and copy in its own process, from the compiled build (ENGIFY_DIST, default ../../dist), so its
// peak RSS (VmHWM) is the tool's and not a TypeScript loader's. Prints one JSON line; logs go to stderr.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.env.ENGIFY_DIST ?? join(import.meta.dirname, '..', '..', 'dist'));
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { parseConfig } = await load('core/load-config.js');
const { EngineSession } = await load('engine/session.js');
const { dbCopyStep } = await load('components/db/db-copy.js');
const { dbSchemaStep } = await load('components/db/db-schema.js');

const path = process.argv[2];
if (!path) throw new Error('usage: tool-child.mjs <config path>');
const started = performance.now();
const session = new EngineSession(parseConfig(readFileSync(path, 'utf8'), path));
const log = (m) => process.stderr.write(`${((performance.now() - started) / 1000).toFixed(2)}s ${m}\n`);
// What a user runs: db.schema (phase 1: translated pre-load DDL), then db.copy (phase 2: the load, then
// indexes, keys and constraints, then sequences).
let schemaMs = 0;
for (const step of [dbSchemaStep, dbCopyStep]) {
  const ctx = session.context(step, { log });
  for (const change of await step.plan(ctx)) await step.apply(ctx, change);
  if (step === dbSchemaStep) schemaMs = performance.now() - started;
}
await session.close();
const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
const cpu = process.cpuUsage();
console.log(
  JSON.stringify({
    ms: performance.now() - started,
    schemaMs,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: hwmKb / 1024,
  }),
);
