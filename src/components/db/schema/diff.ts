import type { ColumnInfo, SchemaModel, TableInfo } from '../../../providers/postgres/schema-model.js';
import { qualified } from '../../../providers/postgres/schema-model.js';
import { keyBuiltAfterLoad } from './translate.js';

// Schema diff between what the translation says the target must hold and what the target's catalog
// holds, both read by the same introspection (so definitions are printed the same way). Post-load
// objects (secondary indexes, non-key constraints, triggers, policies) are compared only when asked.

export interface DiffLine {
  object: string;
  problem: string;
}

const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();

const columnShape = (c: ColumnInfo) =>
  `${c.type}${c.collation ? ` collate ${c.collation}` : ''}${c.notNull ? ' not null' : ''}${c.identity ? ` identity ${c.identity}` : ''}${c.generated ? ` generated (${norm(c.generated)})` : ''}${c.default ? ` default ${norm(c.default)}` : ''}`;

export function diffSchema(
  expected: SchemaModel,
  actual: SchemaModel,
  options: { postLoad: boolean },
): DiffLine[] {
  const out: DiffLine[] = [];
  const add = (object: string, problem: string) => out.push({ object, problem });

  const actualTypes = new Map(actual.types.map((t) => [qualified(t), t]));
  for (const t of expected.types) {
    const a = actualTypes.get(qualified(t));
    if (!a) add(`type ${qualified(t)}`, 'missing');
    else if (JSON.stringify({ ...t, schema: 0 }) !== JSON.stringify({ ...a, schema: 0 }))
      add(`type ${qualified(t)}`, 'differs');
  }

  const actualSeqs = new Map(actual.sequences.map((s) => [qualified(s), s]));
  for (const s of expected.sequences) {
    const a = actualSeqs.get(qualified(s));
    if (!a) add(`sequence ${qualified(s)}`, 'missing');
    else if (a.increment !== s.increment || a.dataType !== s.dataType || a.cycle !== s.cycle)
      add(`sequence ${qualified(s)}`, 'differs (type, increment or cycle)');
  }

  const actualTables = new Map(actual.tables.map((t) => [qualified(t), t]));
  for (const t of expected.tables) {
    const name = qualified(t);
    const a = actualTables.get(name);
    if (!a) {
      add(`table ${name}`, 'missing');
      continue;
    }
    diffTable(t, a, options.postLoad, add);
  }

  const actualViews = new Map(actual.views.map((v) => [qualified(v), v]));
  for (const v of expected.views) {
    const a = actualViews.get(qualified(v));
    if (!a) add(`view ${qualified(v)}`, 'missing');
    else if (norm(a.definition) !== norm(v.definition)) add(`view ${qualified(v)}`, 'definition differs');
  }

  const fnKey = (f: { schema: string; name: string; identityArguments: string }) =>
    `${qualified(f)}(${f.identityArguments})`;
  const actualFns = new Map(actual.functions.map((f) => [fnKey(f), f]));
  for (const f of expected.functions) {
    const a = actualFns.get(fnKey(f));
    if (!a) add(`function ${fnKey(f)}`, 'missing');
    else if (norm(a.definition) !== norm(f.definition)) add(`function ${fnKey(f)}`, 'definition differs');
  }

  const actualExt = new Set(actual.extensions.map((e) => e.name));
  for (const e of expected.extensions) if (!actualExt.has(e.name)) add(`extension ${e.name}`, 'missing');
  return out;
}

function diffTable(
  t: TableInfo,
  a: TableInfo,
  postLoad: boolean,
  add: (object: string, problem: string) => void,
): void {
  const name = qualified(t);
  const want = t.columns.map((c) => `${c.name} ${columnShape(c)}`);
  const got = a.columns.map((c) => `${c.name} ${columnShape(c)}`);
  for (const [i, w] of want.entries()) {
    if (got[i] !== w)
      add(`column ${name}.${t.columns[i]?.name}`, `expected ${w}; found ${got[i] ?? 'nothing'}`);
  }
  for (const g of got.slice(want.length)) add(`table ${name}`, `unexpected column ${g}`);

  const constraints = new Map(a.constraints.map((c) => [c.name, c]));
  for (const c of t.constraints) {
    // Before the load only the keys created with their table are there.
    if (!postLoad && (c.type !== 'primary' || keyBuiltAfterLoad(t, c))) continue;
    const found = constraints.get(c.name);
    if (!found) add(`constraint ${name}.${c.name}`, 'missing');
    else if (norm(found.definition) !== norm(c.definition))
      add(`constraint ${name}.${c.name}`, `expected ${c.definition}; found ${found.definition}`);
  }
  if (!postLoad) return;
  const indexes = new Map(a.indexes.map((i) => [i.name, i]));
  for (const i of t.indexes) {
    const found = indexes.get(i.name);
    if (!found) add(`index ${t.schema}.${i.name}`, 'missing');
    else if (norm(found.definition) !== norm(i.definition))
      add(`index ${t.schema}.${i.name}`, `expected ${i.definition}; found ${found.definition}`);
  }
  const triggers = new Map(a.triggers.map((x) => [x.name, x]));
  for (const x of t.triggers) {
    const found = triggers.get(x.name);
    if (!found) add(`trigger ${name}.${x.name}`, 'missing');
    else if (norm(found.definition) !== norm(x.definition))
      add(`trigger ${name}.${x.name}`, 'definition differs');
  }
  if (t.rowSecurity !== a.rowSecurity)
    add(
      `table ${name}`,
      `row level security ${t.rowSecurity ? 'off' : 'on'} (expected ${t.rowSecurity ? 'on' : 'off'})`,
    );
  const policies = new Map(a.policies.map((p) => [p.name, p]));
  for (const p of t.policies) {
    const found = policies.get(p.name);
    if (!found) add(`policy ${name}."${p.name}"`, 'missing');
    else if (
      found.command !== p.command ||
      found.permissive !== p.permissive ||
      norm(found.using) !== norm(p.using) ||
      norm(found.withCheck) !== norm(p.withCheck) ||
      found.roles.join(',') !== p.roles.join(',')
    )
      add(`policy ${name}."${p.name}"`, 'differs (command, roles or expressions)');
  }
}
