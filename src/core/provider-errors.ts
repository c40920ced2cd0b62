import { EngifyError } from './errors.js';
import { messages } from './messages.js';
import { RestError } from './rest-client.js';

// Turns a hosting provider's HTTP error into an error that names the config field to fix.

export interface ProviderErrorContext {
  provider: 'Vercel' | 'Render';
  /** Config path of the credential, e.g. "source.vercel.token". */
  credentialField: string;
  /** What was being looked up, for 404s. */
  what: string;
  id: string;
  idField: string;
  scope?: string;
}

function providerMessage(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { error?: { message?: unknown }; message?: unknown };
    if (typeof b.error?.message === 'string') return b.error.message;
    if (typeof b.message === 'string') return b.message;
  }
  return typeof body === 'string' ? body.slice(0, 200) : 'no detail';
}

export function providerError(error: unknown, ctx: ProviderErrorContext): Error {
  if (!(error instanceof RestError)) return error instanceof Error ? error : new Error(String(error));
  const m = messages.hosting;
  if (error.status === 401 || error.status === 403)
    return new EngifyError({
      code: `${ctx.provider.toUpperCase()}_AUTH`,
      kind: 'config',
      message: m.tokenRejected(ctx.provider, ctx.credentialField, error.status),
      hint: m.tokenRejectedHint(ctx.provider, ctx.credentialField),
      detail: providerMessage(error.body),
    });
  if (error.status === 404)
    return new EngifyError({
      code: `${ctx.provider.toUpperCase()}_NOT_FOUND`,
      kind: 'config',
      message: m.notFound(ctx.provider, ctx.what, ctx.id, ctx.scope ?? ''),
      hint: m.notFoundHint(ctx.idField),
      detail: providerMessage(error.body),
    });
  return new EngifyError({
    code: `${ctx.provider.toUpperCase()}_HTTP`,
    kind: error.status === 429 || error.status >= 500 ? 'transient' : 'system',
    message: m.providerError(ctx.provider, error.url, error.status, providerMessage(error.body)),
    hint: m.providerErrorHint,
  });
}
