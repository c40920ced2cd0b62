import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

// The data plane of one HTTP API in the API Gateway stand-in, from the developer guide:
// - CORS: with a CORS configuration, API Gateway answers preflight OPTIONS requests itself and adds
//   Access-Control-Allow-Origin to responses for allowed origins.
// - Routes: "METHOD /path" (with {param} and {proxy+}), "ANY /path", else "$default"; no match: 404.
// - JWT authorizers: the token from the identity source ($request.header.Authorization, "Bearer "
//   stripped), verified against the issuer's JWKS, with iss equal to the issuer and aud (or client_id,
//   for access tokens) in the audience; otherwise 401 {"message":"Unauthorized"}.
// - Lambda proxy integrations, payload format 2.0: the event shape (version, routeKey, rawPath,
//   rawQueryString, cookies, headers with duplicates comma-joined, queryStringParameters,
//   requestContext with authorizer.jwt.claims, body, isBase64Encoded) and the response mapping
//   ({statusCode, headers, cookies, body, isBase64Encoded}; without statusCode the result is the JSON
//   body of a 200). A function error is 500, an integration timeout 503, a function the API may not
//   invoke (no resource-policy statement) 500, a request over 10 MB 413.

export interface ApiRecord {
  api: Record<string, unknown>;
  integrations: Map<string, Record<string, unknown>>;
  routes: Map<string, Record<string, unknown>>;
  authorizers: Map<string, Record<string, unknown>>;
  stages: Map<string, Record<string, unknown>>;
  plane: DataPlane;
}

export interface DataPlane {
  url: string;
  close(): Promise<void>;
}

interface PlaneOptions {
  record: ApiRecord;
  region: string;
  account: string;
  jwksUrl?(issuer: string): string;
  invoke(
    functionArn: string,
    event: Record<string, unknown>,
  ): Promise<{ payload: unknown; error?: string; found: boolean }>;
  canInvoke(functionArn: string, sourceArn: string): boolean;
}

const PAYLOAD_MAX = 10 * 1024 * 1024;

function matchKey(routeKey: string, method: string, path: string): Record<string, string> | undefined {
  const [m, p] = routeKey.split(' ');
  if (!p || (m !== 'ANY' && m !== method)) return undefined;
  const want = p.split('/');
  const got = path.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    if (w.endsWith('+}')) {
      params[w.slice(1, -2)] = got.slice(i).join('/');
      return got.length > i ? params : undefined;
    }
    const g = got[i];
    if (g === undefined) return undefined;
    if (w.startsWith('{') && w.endsWith('}')) params[w.slice(1, -1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return want.length === got.length ? params : undefined;
}

/** More literal segments win, as API Gateway prefers the most specific route. */
const specificity = (key: string) =>
  key.split('/').filter((s) => s && !s.startsWith('{')).length * 10 -
  (key.includes('+}') ? 5 : 0) +
  (key.startsWith('ANY') ? 0 : 1);

export async function startDataPlane(options: PlaneOptions): Promise<DataPlane> {
  const { record } = options;
  const jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  const keySet = (issuer: string) => {
    let set = jwks.get(issuer);
    if (!set) {
      set = createRemoteJWKSet(
        new URL(options.jwksUrl ? options.jwksUrl(issuer) : `${issuer}/.well-known/jwks.json`),
      );
      jwks.set(issuer, set);
    }
    return set;
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'apigw-requestid': randomUUID().slice(0, 12),
      ...headers,
    });
    res.end(body);
  };
  const message = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) =>
    send(res, status, JSON.stringify({ message: text }), headers);

  const corsFor = (origin: string | undefined): Record<string, string> => {
    const cors = record.api.corsConfiguration as
      | { allowOrigins?: string[]; exposeHeaders?: string[]; allowCredentials?: boolean }
      | undefined;
    if (!cors || !origin) return {};
    const allowed = (cors.allowOrigins ?? []).some((o) => o === '*' || o === origin);
    if (!allowed) return {};
    return {
      'access-control-allow-origin':
        cors.allowOrigins?.includes('*') && !cors.allowCredentials ? '*' : origin,
      ...(cors.exposeHeaders?.length
        ? { 'access-control-expose-headers': cors.exposeHeaders.join(',') }
        : {}),
      ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
      vary: 'origin',
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://plane');
    const method = req.method ?? 'GET';
    const origin = req.headers.origin;
    const cors = record.api.corsConfiguration as
      | { allowOrigins?: string[]; allowMethods?: string[]; allowHeaders?: string[]; maxAge?: number }
      | undefined;
    if (method === 'OPTIONS' && cors && req.headers['access-control-request-method']) {
      const headers = corsFor(origin);
      if (!headers['access-control-allow-origin']) return send(res, 204, '');
      return send(res, 204, '', {
        ...headers,
        'access-control-allow-methods': (cors.allowMethods ?? ['*']).join(','),
        'access-control-allow-headers': (cors.allowHeaders ?? ['*']).join(','),
        ...(cors.maxAge !== undefined ? { 'access-control-max-age': String(cors.maxAge) } : {}),
      });
    }
    const corsHeaders = corsFor(origin);
    if (!record.stages.has('$default')) return message(res, 404, 'Not Found', corsHeaders);
    if (body.length > PAYLOAD_MAX) return message(res, 413, 'Request Entity Too Large', corsHeaders);

    const routes = [...record.routes.values()];
    let route: Record<string, unknown> | undefined;
    let pathParameters: Record<string, string> | undefined;
    for (const r of routes
      .filter((x) => x.routeKey !== '$default')
      .sort((a, b) => specificity(String(b.routeKey)) - specificity(String(a.routeKey)))) {
      const p = matchKey(String(r.routeKey), method, url.pathname);
      if (p) {
        route = r;
        pathParameters = p;
        break;
      }
    }
    route ??= routes.find((r) => r.routeKey === '$default');
    if (!route) return message(res, 404, 'Not Found', corsHeaders);

    let claims: JWTPayload | undefined;
    if (route.authorizationType === 'JWT') {
      const authorizer = record.authorizers.get(String(route.authorizerId));
      const header = req.headers.authorization;
      const unauthorized = () =>
        message(res, 401, 'Unauthorized', { ...corsHeaders, 'www-authenticate': 'Bearer' });
      if (!authorizer || !header) return unauthorized();
      const token = header.replace(/^Bearer\s+/i, '');
      const jwt = authorizer.jwtConfiguration as { issuer: string; audience: string[] };
      try {
        const { payload } = await jwtVerify(token, keySet(jwt.issuer), { issuer: jwt.issuer });
        const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
        const clientId = typeof payload.client_id === 'string' ? [payload.client_id] : [];
        if (![...aud, ...clientId].some((a) => jwt.audience.includes(a))) return unauthorized();
        claims = payload;
      } catch {
        return unauthorized();
      }
    }

    const integration = record.integrations.get(String(route.target ?? '').replace(/^integrations\//, ''));
    if (!integration) return message(res, 500, 'Internal Server Error', corsHeaders);
    const functionArn = String(integration.integrationUri);
    const apiId = String(record.api.apiId);
    const sourceArn = `arn:aws:execute-api:${options.region}:${options.account}:${apiId}/$default/${method}${url.pathname}`;
    if (!options.canInvoke(functionArn, sourceArn))
      return message(res, 500, 'Internal Server Error', corsHeaders);

    const headers: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = (req.rawHeaders[i] as string).toLowerCase();
      const v = req.rawHeaders[i + 1] as string;
      if (k === 'cookie') continue;
      headers[k] = headers[k] === undefined ? v : `${headers[k]},${v}`;
    }
    const cookies = (req.headers.cookie ?? '').split(/;\s*/).filter(Boolean);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    const now = new Date();
    const textual = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/.test(
      headers['content-type'] ?? 'text/plain',
    );
    const event: Record<string, unknown> = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      ...(cookies.length ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      requestContext: {
        accountId: options.account,
        apiId,
        ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
        domainName: headers.host ?? '',
        domainPrefix: (headers.host ?? '').split('.')[0] ?? '',
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: route.routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      ...(pathParameters && Object.keys(pathParameters).length ? { pathParameters } : {}),
      ...(body.length ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !textual,
    };

    const timeoutMs = Number(integration.timeoutInMillis ?? 30_000);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      options.invoke(functionArn, event),
      new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') return message(res, 503, 'Service Unavailable', corsHeaders);
    if (!outcome.found || outcome.error) return message(res, 500, 'Internal Server Error', corsHeaders);
    const result = outcome.payload as Record<string, unknown> | null;
    if (!result || typeof result !== 'object' || typeof result.statusCode !== 'number')
      return send(res, 200, JSON.stringify(result), corsHeaders);
    const out: Record<string, string | string[]> = {
      ...((result.headers as Record<string, string>) ?? {}),
      ...corsHeaders,
    };
    if (Array.isArray(result.cookies) && result.cookies.length)
      out['set-cookie'] = result.cookies as string[];
    const bytes = Buffer.from(String(result.body ?? ''), result.isBase64Encoded ? 'base64' : 'utf8');
    res.writeHead(result.statusCode, { 'content-type': 'application/json', ...out });
    res.end(bytes);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((e: unknown) =>
        message(res, 500, `Internal Server Error: ${String(e)}`),
      );
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
