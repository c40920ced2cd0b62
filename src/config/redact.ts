// Every string that leaves the process (terminal, --json, journal, plan file, error) passes through a
// Redactor built from the loaded config's secrets, so a secret cannot leak through an error message
// that a provider happened to echo back.

// Shorter strings are too likely to occur inside ids and names the journal must keep intact; real
// secrets (keys, tokens, passwords) are longer.
const MIN_SECRET_LENGTH = 8;
export const REDACTED = '[redacted]';

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  add(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.pattern = undefined;
  }

  redact(text: string): string {
    let out = text;
    if (this.secrets.size > 0) {
      this.pattern ??= new RegExp(
        [...this.secrets]
          .sort((a, b) => b.length - a.length)
          .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|'),
        'g',
      );
      out = out.replace(this.pattern, REDACTED);
    }
    // Credentials in any URL we print, even one that did not come from the config (a provider's error).
    return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)([^@\s/]+)@/gi, `$1${REDACTED}@`);
  }

  /** Deep-redacts a JSON-like value. */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}
