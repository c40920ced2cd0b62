// Which tables wait before they load, so that their foreign keys can be attached while they are still
// empty (see db-copy-run.ts). Adding a foreign key to an empty table checks nothing, and the load runs
// with triggers off (session_replication_role = replica, as a logical replication subscriber applies
// rows), so the key is valid without the whole-table anti-join VALIDATE runs after a load. The price is
// order: the referencing table starts only once the referenced one is loaded and its keys are built.

export interface ForeignKeyEdge {
  /** Referencing table, "schema.name". */
  table: string;
  /** Referenced table. */
  references: string;
}

/**
 * Per referencing table, the referenced tables it waits for. An edge counts only when both tables load
 * in this run and the referencing one starts empty (`fresh`): a table that holds rows would be checked in
 * full by ADD CONSTRAINT, and a referenced table loaded by an earlier run may not have its keys yet.
 * Self-references and edges inside a cycle are left out (no order loads both sides first); those keys
 * are validated after the load as before.
 */
export function foreignKeyGates(
  edges: ForeignKeyEdge[],
  loading: ReadonlySet<string>,
  fresh: ReadonlySet<string>,
): Map<string, Set<string>> {
  const candidates = edges.filter(
    (e) => e.table !== e.references && loading.has(e.references) && fresh.has(e.table),
  );
  const component = stronglyConnected(candidates);
  const gates = new Map<string, Set<string>>();
  for (const e of candidates) {
    if (component.get(e.table) === component.get(e.references)) continue;
    gates.set(e.table, (gates.get(e.table) ?? new Set()).add(e.references));
  }
  return gates;
}

/** Tarjan's strongly connected components: node -> component id (nodes in one cycle share an id). */
function stronglyConnected(edges: ForeignKeyEdge[]): Map<string, number> {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.table, [...(next.get(e.table) ?? []), e.references]);
  const nodes = new Set(edges.flatMap((e) => [e.table, e.references]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const component = new Map<string, number>();
  let counter = 0;
  let components = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w);
        component.set(w, components);
        if (w === v) break;
      }
      components++;
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return component;
}
