import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';

// POST-only client for Railway's public GraphQL API (https://backboard.railway.com/graphql/v2): a
// timeout on every call, jittered retries on 429/5xx and network errors, and GraphQL `errors` turned
// into typed failures. Railway answers a token without access with HTTP 200 and
// errors: [{ message: "Not Authorized" }], so the auth check reads the body, not only the status.

export interface GraphqlOptions {
  url: string;
  token: string;
  /** Account/workspace tokens go in Authorization: Bearer; project tokens in Project-Access-Token. */
  tokenKind: 'account' | 'project';
  timeoutMs?: number;
  attempts?: number;
  signal?: AbortSignal;
}

export type GraphqlFailure =
  | { kind: 'auth'; message: string }
  | { kind: 'not-found'; message: string }
  | { kind: 'other'; message: string };

export class RailwayGraphqlError extends Error {
  constructor(
    readonly failure: GraphqlFailure,
    readonly url: string,
  ) {
    super(failure.message);
    this.name = 'RailwayGraphqlError';
  }
}

interface GraphqlBody<T> {
  data?: T | null;
  errors?: { message?: string }[];
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

function classify(message: string): GraphqlFailure {
  if (/not authori[sz]ed|unauthori[sz]ed|forbidden|invalid token/i.test(message))
    return { kind: 'auth', message };
  if (/not found/i.test(message)) return { kind: 'not-found', message };
  return { kind: 'other', message };
}

export function railwayGraphql(options: GraphqlOptions) {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const attempts = options.attempts ?? 5;
  const url = options.url;
  const auth: Record<string, string> =
    options.tokenKind === 'project'
      ? { 'project-access-token': options.token }
      : { authorization: `Bearer ${options.token}` };

  return async function request<T>(
    operationName: string,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<T> {
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let retryable = true;
      try {
        const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
        const res = await fetch(url, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ operationName, query, variables }),
          signal: AbortSignal.any(signals),
        });
        const text = await res.text();
        let body: GraphqlBody<T> | undefined;
        try {
          body = text ? (JSON.parse(text) as GraphqlBody<T>) : undefined;
        } catch {
          body = undefined;
        }
        const firstError = body?.errors?.find((e) => typeof e.message === 'string')?.message;
        if (res.status === 401 || res.status === 403)
          throw new RailwayGraphqlError({ kind: 'auth', message: firstError ?? `HTTP ${res.status}` }, url);
        if (res.ok && firstError !== undefined) {
          retryable = false;
          throw new RailwayGraphqlError(classify(firstError), url);
        }
        if (res.ok && body?.data) return body.data;
        if (res.status !== 429 && res.status < 500) {
          retryable = false;
          throw new EngifyError({
            code: 'RAILWAY_HTTP',
            kind: 'system',
            message: messages.railway.httpError(url, res.status),
            hint: messages.railway.graphqlErrorHint,
            detail: text.slice(0, 500),
          });
        }
        last = new Error(`HTTP ${res.status}`);
      } catch (error) {
        if (error instanceof RailwayGraphqlError || !retryable) throw error;
        if (options.signal?.aborted) throw error;
        last = error;
      }
      if (attempt < attempts) await sleep(Math.random() * Math.min(8000, 200 * 2 ** attempt), options.signal);
    }
    throw new EngifyError({
      code: 'RAILWAY_UNREACHABLE',
      kind: 'transient',
      message: messages.railway.unreachable(
        url,
        attempts,
        last instanceof Error ? last.message : String(last),
      ),
      hint: messages.railway.unreachableHint,
      cause: last,
    });
  };
}

export type RailwayRequest = ReturnType<typeof railwayGraphql>;
