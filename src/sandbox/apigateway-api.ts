import { randomBytes } from 'node:crypto';
import { type ApiRecord, startDataPlane } from './apigateway-data-plane.js';
import {
  matchRoute,
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

export type { ApiRecord };

// Stand-in for the API Gateway v2 control routes (REST, JSON with camelCase member names) the backend
// steps call: CreateApi / GetApis / GetApi / UpdateApi (PATCH) / DeleteApi, CreateIntegration /
// GetIntegrations / DeleteIntegration, CreateRoute / GetRoutes / DeleteRoute, CreateAuthorizer /
// GetAuthorizers / DeleteAuthorizer, CreateStage / GetStages / DeleteStage. Lists answer
// { items, nextToken } pages of `pageSize`. Errors carry x-amzn-errortype (NotFoundException,
// BadRequestException, ConflictException) and { message }. Each HTTP API gets its own data-plane port
// (apigateway-data-plane.ts), which is its apiEndpoint.

export interface ApiGatewayStandInOptions {
  region?: string;
  account?: string;
  pageSize?: number;
  /** Where the JWKS of an issuer is fetched from (Cognito's is `${issuer}/.well-known/jwks.json`). */
  jwksUrl?(issuer: string): string;
  /** The Lambda integration: run the function (by ARN) with a payload 2.0 event. */
  invoke(
    functionArn: string,
    event: Record<string, unknown>,
  ): Promise<{ payload: unknown; error?: string; found: boolean }>;
  /** The function's resource policy lets apigateway.amazonaws.com invoke it from this API. */
  canInvoke(functionArn: string, sourceArn: string): boolean;
}

export interface ApiGatewayStandIn extends RunningStandIn {
  apis: Map<string, ApiRecord>;
}

const err = (status: number, type: string, message: string): StandInReply => ({
  status,
  headers: { 'x-amzn-errortype': type },
  body: { message },
});
const id = () => randomBytes(4).toString('hex').slice(0, 7);

export async function startApiGatewayApi(options: ApiGatewayStandInOptions): Promise<ApiGatewayStandIn> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const pageSize = options.pageSize ?? 25;
  const apis = new Map<string, ApiRecord>();

  const page = (req: RecordedRequest, items: unknown[]): StandInReply => {
    const start = req.query.nextToken ? Number(req.query.nextToken) : 0;
    const size = req.query.maxResults ? Number(req.query.maxResults) : pageSize;
    const slice = items.slice(start, start + size);
    return {
      status: 200,
      body: { items: slice, ...(start + size < items.length ? { nextToken: String(start + size) } : {}) },
    };
  };

  const handler = async (req: RecordedRequest): Promise<StandInReply> => {
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return err(403, 'AccessDeniedException', 'Missing Authentication Token');
    const input = (req.body ? JSON.parse(req.body) : {}) as Record<string, unknown>;

    if (req.path === '/v2/apis') {
      if (req.method === 'GET')
        return page(
          req,
          [...apis.values()].map((a) => a.api),
        );
      if (req.method === 'POST') {
        if (input.protocolType !== 'HTTP' && input.protocolType !== 'WEBSOCKET')
          return err(400, 'BadRequestException', 'Invalid protocol type specified');
        if (typeof input.name !== 'string' || !input.name)
          return err(400, 'BadRequestException', 'Name is required');
        const apiId = id();
        const record = {
          api: {},
          integrations: new Map(),
          routes: new Map(),
          authorizers: new Map(),
          stages: new Map(),
        } as unknown as ApiRecord;
        record.plane = await startDataPlane({
          record,
          region,
          account,
          jwksUrl: options.jwksUrl,
          invoke: options.invoke,
          canInvoke: options.canInvoke,
        });
        record.api = {
          apiId,
          name: input.name,
          protocolType: input.protocolType,
          apiEndpoint: record.plane.url,
          apiKeySelectionExpression: '$request.header.x-api-key',
          routeSelectionExpression: '$request.method $request.path',
          createdDate: new Date().toISOString(),
          disableExecuteApiEndpoint: false,
          ...(input.corsConfiguration ? { corsConfiguration: input.corsConfiguration } : {}),
          tags: input.tags ?? {},
        };
        apis.set(apiId, record);
        return { status: 201, body: record.api };
      }
    }
    const m = /^\/v2\/apis\/([^/]+)(\/.*)?$/.exec(req.path);
    if (!m) return err(404, 'NotFoundException', 'Invalid request path');
    const record = apis.get(m[1] ?? '');
    if (!record) return err(404, 'NotFoundException', `Invalid API identifier specified ${account}:${m[1]}`);
    const rest = m[2] ?? '';
    const apiId = m[1] as string;

    if (rest === '') {
      if (req.method === 'GET') return { status: 200, body: record.api };
      if (req.method === 'PATCH') {
        if (input.corsConfiguration) record.api.corsConfiguration = input.corsConfiguration;
        if (input.name) record.api.name = input.name;
        return { status: 200, body: record.api };
      }
      if (req.method === 'DELETE') {
        await record.plane.close();
        apis.delete(apiId);
        return { status: 204 };
      }
    }

    const collection = (
      path: string,
      map: Map<string, Record<string, unknown>>,
      idKey: string,
      create: () => Record<string, unknown> | StandInReply,
    ): StandInReply | undefined => {
      if (rest === path) {
        if (req.method === 'GET') return page(req, [...map.values()]);
        if (req.method === 'POST') {
          const made = create();
          if ('status' in made && typeof made.status === 'number') return made as StandInReply;
          map.set(String((made as Record<string, unknown>)[idKey]), made as Record<string, unknown>);
          return { status: 201, body: made };
        }
      }
      const one = matchRoute(`${path}/{id}`, rest);
      if (one) {
        const found = map.get(one.id ?? '');
        if (!found) return err(404, 'NotFoundException', `Invalid identifier specified ${one.id}`);
        if (req.method === 'GET') return { status: 200, body: found };
        if (req.method === 'DELETE') {
          map.delete(one.id ?? '');
          return { status: 204 };
        }
      }
      return undefined;
    };

    const reply =
      collection('/integrations', record.integrations, 'integrationId', () => {
        if (input.integrationType === 'AWS_PROXY' && input.payloadFormatVersion === undefined)
          return err(
            400,
            'BadRequestException',
            'PayloadFormatVersion is required for AWS_PROXY integrations',
          );
        if (
          typeof input.timeoutInMillis === 'number' &&
          (input.timeoutInMillis < 50 || input.timeoutInMillis > 30_000)
        )
          return err(400, 'BadRequestException', 'Timeout must be between 50 milliseconds and 30 seconds.');
        return {
          integrationId: id(),
          integrationType: input.integrationType,
          integrationUri: input.integrationUri,
          integrationMethod: input.integrationMethod ?? 'POST',
          payloadFormatVersion: input.payloadFormatVersion,
          timeoutInMillis: input.timeoutInMillis ?? 30_000,
          connectionType: 'INTERNET',
        };
      }) ??
      collection('/routes', record.routes, 'routeId', () => {
        const key = String(input.routeKey ?? '');
        if ([...record.routes.values()].some((r) => r.routeKey === key))
          return err(
            409,
            'ConflictException',
            `Unable to complete operation due to concurrent modification. Please try again later. Route with key ${key} already exists for this API`,
          );
        if (input.authorizationType === 'JWT' && !record.authorizers.has(String(input.authorizerId)))
          return err(400, 'BadRequestException', 'Invalid authorizer id specified');
        return {
          routeId: id(),
          routeKey: key,
          target: input.target,
          authorizationType: input.authorizationType ?? 'NONE',
          ...(input.authorizerId ? { authorizerId: input.authorizerId } : {}),
          apiKeyRequired: false,
        };
      }) ??
      collection('/authorizers', record.authorizers, 'authorizerId', () => {
        const jwt = input.jwtConfiguration as { issuer?: string; audience?: string[] } | undefined;
        if (input.authorizerType === 'JWT' && (!jwt?.issuer || !jwt.audience?.length))
          return err(400, 'BadRequestException', 'JWT authorizers need jwtConfiguration.issuer and audience');
        return {
          authorizerId: id(),
          authorizerType: input.authorizerType,
          name: input.name,
          identitySource: input.identitySource,
          ...(jwt ? { jwtConfiguration: jwt } : {}),
        };
      }) ??
      collection('/stages', record.stages, 'stageName', () => {
        const name = String(input.stageName ?? '');
        if (record.stages.has(name)) return err(409, 'ConflictException', `Stage already exists: ${name}`);
        return {
          stageName: name,
          autoDeploy: input.autoDeploy === true,
          createdDate: new Date().toISOString(),
          defaultRouteSettings: {},
        };
      });
    return reply ?? err(404, 'NotFoundException', `no route for ${req.method} ${req.path}`);
  };

  const running = await startStandIn(handler);
  return {
    ...running,
    apis,
    close: async () => {
      for (const a of apis.values()) await a.plane.close();
      await running.close();
    },
  };
}
