import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { Retry, retryableStatus, withRetries } from '../../core/rest-client.js';

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
    return withRetries<T>({
      timeoutMs,
      attempts,
      signal: options.signal,
      request: (signal) =>
        fetch(url, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ operationName, query, variables }),
          signal,
        }),
      settle: (a) => {
        const body = (typeof a.body === 'object' ? a.body : undefined) as GraphqlBody<T> | undefined;
        const firstError = body?.errors?.find((e) => typeof e.message === 'string')?.message;
        if (a.status === 401 || a.status === 403)
          throw new RailwayGraphqlError({ kind: 'auth', message: firstError ?? `HTTP ${a.status}` }, url);
        if (a.ok && firstError !== undefined) throw new RailwayGraphqlError(classify(firstError), url);
        if (a.ok && body?.data) return body.data;
        if (retryableStatus(a.status)) return new Retry(new Error(`HTTP ${a.status}`));
        throw new EngifyError({
          code: 'RAILWAY_HTTP',
          kind: 'system',
          message: messages.railway.httpError(url, a.status),
          hint: messages.railway.graphqlErrorHint,
          detail: a.text.slice(0, 500),
        });
      },
      exhausted: (last) =>
        new EngifyError({
          code: 'RAILWAY_UNREACHABLE',
          kind: 'transient',
          message: messages.railway.unreachable(
            url,
            attempts,
            last instanceof Error ? last.message : String(last),
          ),
          hint: messages.railway.unreachableHint,
          cause: last,
        }),
    });
  };
}

export type RailwayRequest = ReturnType<typeof railwayGraphql>;
