// Railway's variable templates (https://docs.railway.com/variables/reference): ${{NAMESPACE.VAR}} where
// NAMESPACE is "shared" or another service's name, and ${{VAR}} for a variable of the same service. A
// value can mix text and several references ("https://${{shared.DOMAIN}}/${{GRAPHQL_PATH}}").

export interface VariableReference {
  /** "shared", a service name, or undefined for the same service. */
  namespace: string | undefined;
  variable: string;
}

const TEMPLATE = /\$\{\{\s*([^}]*?)\s*\}\}/g;

export function parseReferences(value: string): VariableReference[] {
  const out: VariableReference[] = [];
  for (const match of value.matchAll(TEMPLATE)) {
    const inner = match[1] ?? '';
    // The last dot splits namespace and key (variable names have no dots).
    const dot = inner.lastIndexOf('.');
    out.push(
      dot === -1
        ? { namespace: undefined, variable: inner }
        : { namespace: inner.slice(0, dot), variable: inner.slice(dot + 1) },
    );
  }
  return out;
}
