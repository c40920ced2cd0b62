// "${VAR}" in any string value is replaced by the environment variable VAR. "$${" escapes a literal "${".
// ${VAR} is THE way to hand a secret to the tool, so every value taken from the environment is remembered
// with its path; the loader redacts all of them except at paths that name resources (see load.ts).

export interface Interpolated {
  value: unknown;
  /** References that cannot be filled: the variable is not set, or set to the empty string. */
  missing: { path: string; variable: string; empty: boolean }[];
  secrets: { path: string; value: string }[];
}

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function interpolate(value: unknown, env: NodeJS.ProcessEnv): Interpolated {
  const missing: Interpolated['missing'] = [];
  const secrets: Interpolated['secrets'] = [];

  const visit = (node: unknown, path: string[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(REFERENCE, (match, name: string | undefined) => {
        if (name === undefined) return '${';
        const found = env[name];
        // An empty value is refused like a missing one (an empty password or key is never meant), but
        // named for what it is: `export X=` and a typo in the name need different fixes.
        if (found === undefined || found === '') {
          missing.push({ path: path.join('.') || '(top level)', variable: name, empty: found === '' });
          return match;
        }
        secrets.push({ path: path.join('.'), value: found });
        return found;
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, String(i)]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) out[key] = visit(child, [...path, key]);
      return out;
    }
    return node;
  };

  return { value: visit(value, []), missing, secrets };
}
