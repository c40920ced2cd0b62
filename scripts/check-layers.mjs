#!/usr/bin/env node
// The folders of src/ are the layers of the architecture; this check keeps the imports pointing down.
// It reads every import of src/ (static, dynamic and type-only), then fails on:
//  - an import from a folder to one above it in LAYERS (a "back-up" import), unless ALLOWED lists it;
//  - a circle of files importing each other;
//  - an engine/ file that imports components/ or providers/ (the engine knows components only through
//    the registry it is handed);
//  - a providers/<system>/ file that imports components/, engine/ or another system's folder.
// Run: node scripts/check-layers.mjs [--verbose]
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// Lowest first. A folder may import any folder before it in this list, never one after it.
const LAYERS = [
  'types',
  'config',
  'core',
  'state',
  'flags',
  'providers',
  'components',
  'engine',
  'sandbox',
  'ui',
  'commands',
  'cli.ts',
  'index.ts',
];
// Back-up imports accepted on purpose, each with its reason ("from -> to").
const ALLOWED = new Map([]);
// Providers that build on another provider's client (a dialect that extends another).
const PROVIDER_BASES = new Map([['supabase', ['postgres']]]);

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : /\.(ts|mts)$/.test(e.name) ? [p] : [];
  });
}
const files = walk(path.join(ROOT, 'src')).map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
const fileSet = new Set(files);
const specRe = /(?:(?:import|export)\s[^'";]*?from\s+|import\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
const edges = new Map();
for (const f of files) {
  const src = fs.readFileSync(path.join(ROOT, f), 'utf8').replace(/`(?:\\.|[^`\\])*`/g, '``');
  const out = [];
  for (const m of src.matchAll(specRe)) {
    const abs = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1])).replace(/\.js$/, '.ts');
    if (fileSet.has(abs)) out.push(abs);
  }
  edges.set(f, [...new Set(out)]);
}
const layerOf = (f) => {
  const rest = f.slice('src/'.length);
  return rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : rest;
};
const systemOf = (f) => f.split('/')[2];
const problems = [];
const backUps = new Map();
for (const [from, tos] of edges) {
  const lf = layerOf(from);
  for (const to of tos) {
    const lt = layerOf(to);
    if (lf === lt) {
      if (lf === 'providers' && systemOf(from) !== systemOf(to)) {
        const bases = PROVIDER_BASES.get(systemOf(from)) ?? [];
        if (!bases.includes(systemOf(to)))
          problems.push(`${from} -> ${to}: a provider imports another provider's folder`);
      }
      continue;
    }
    const a = LAYERS.indexOf(lf);
    const b = LAYERS.indexOf(lt);
    if (a === -1 || b === -1) {
      problems.push(`${from} -> ${to}: folder not in LAYERS (add it to scripts/check-layers.mjs)`);
      continue;
    }
    if (lf === 'engine' && (lt === 'components' || lt === 'providers'))
      problems.push(`${from} -> ${to}: the engine names a ${lt.slice(0, -1)}`);
    if (lf === 'providers' && (lt === 'components' || lt === 'engine'))
      problems.push(`${from} -> ${to}: a provider knows ${lt}`);
    if (b > a) {
      const key = `${lf} -> ${lt}`;
      backUps.set(key, [...(backUps.get(key) ?? []), `${from} -> ${to}`]);
    }
  }
}
for (const [key, list] of backUps) {
  if (!ALLOWED.has(key))
    problems.push(
      `back-up import ${key} (${list.length}): ${list.slice(0, 3).join(', ')}${list.length > 3 ? ', ...' : ''}`,
    );
}
// Circles of files: Tarjan's strongly connected components.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const on = new Set();
const circles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const c = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      c.push(w);
    } while (w !== v);
    if (c.length > 1 || (edges.get(v) ?? []).includes(v)) circles.push(c);
  }
}
for (const f of files) if (!idx.has(f)) strong(f);
for (const c of circles) problems.push(`circle of ${c.length} files: ${c.join(' <-> ')}`);

const pairs = [
  ...new Set([...edges].flatMap(([f, ts]) => ts.map((t) => `${layerOf(f)} -> ${layerOf(t)}`))),
].filter((k) => !k.startsWith(`${k.split(' -> ')[1]} `));
if (process.argv.includes('--verbose')) console.log(pairs.sort().join('\n'));
console.log(
  `layers: ${files.length} files, ${backUps.size} back-up folder import(s) (${ALLOWED.size} allowed), ${circles.length} circle(s)`,
);
if (problems.length > 0) {
  for (const p of problems) console.error(`  ${p}`);
  console.error(
    `layers: ${problems.length} problem(s). The order is ${LAYERS.join(' < ')}; see README "Development".`,
  );
  process.exit(1);
}
