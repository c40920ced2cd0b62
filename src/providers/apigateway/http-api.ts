import type {
  Api,
  ApiGatewayV2Client,
  Authorizer,
  Cors,
  Integration,
  Route,
  Stage,
} from '@aws-sdk/client-apigatewayv2';
import { EngifyError, isTransient, toEngifyError } from '../../core/errors.js';

// Typed operations on an API Gateway HTTP API (apigatewayv2): the API with its CORS configuration,
// Lambda proxy integrations (payload format 2.0, which the SDK must be given explicitly), routes, JWT
// authorizers and stages. List calls follow NextToken to the end.

export const OWNER_TAG = 'engify-migrate:project';

const errorName = (e: unknown) => (e instanceof Error ? e.name : '');
const isNotFound = (e: unknown) => errorName(e) === 'NotFoundException';

function apiError(e: unknown, what: string): EngifyError {
  if (e instanceof EngifyError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return toEngifyError(e, {
    code: 'APIGATEWAY_FAILED',
    kind:
      errorName(e) === 'BadRequestException' || errorName(e) === 'ConflictException'
        ? 'config'
        : isTransient(e)
          ? 'transient'
          : 'system',
    message: `API Gateway could not ${what}: ${detail}`,
    hint: 'Check the setting named above; rerun `apply` once fixed (what was done is kept).',
  });
}

export interface JwtAuthorizerSpec {
  name: string;
  issuer: string;
  audience: string[];
}

export async function httpApiOps(client: ApiGatewayV2Client) {
  const g = await import('@aws-sdk/client-apigatewayv2');
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw apiError(e, what);
    }
  };
  const orMissing = async (what: string, call: () => Promise<unknown>): Promise<void> => {
    try {
      await call();
    } catch (e) {
      if (!isNotFound(e)) throw apiError(e, what);
    }
  };
  async function all<T>(
    what: string,
    page: (token?: string) => Promise<{ Items?: T[]; NextToken?: string }>,
  ) {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const r = await wrap(what, () => page(token));
      out.push(...(r.Items ?? []));
      token = r.NextToken;
    } while (token);
    return out;
  }

  return {
    findApis: async (name: string): Promise<Api[]> =>
      (await all('list APIs', (NextToken) => client.send(new g.GetApisCommand({ NextToken })))).filter(
        (a) => a.Name === name,
      ),
    async getApi(apiId: string): Promise<Partial<Api> | undefined> {
      try {
        return await client.send(new g.GetApiCommand({ ApiId: apiId }));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw apiError(e, `read API ${apiId}`);
      }
    },
    createApi: (input: { name: string; cors: Cors; tags: Record<string, string> }) =>
      wrap(`create HTTP API ${input.name}`, () =>
        client.send(
          new g.CreateApiCommand({
            Name: input.name,
            ProtocolType: 'HTTP',
            CorsConfiguration: input.cors,
            Tags: input.tags,
          }),
        ),
      ),
    updateCors: (apiId: string, cors: Cors) =>
      wrap(`update CORS of API ${apiId}`, () =>
        client.send(new g.UpdateApiCommand({ ApiId: apiId, CorsConfiguration: cors })),
      ),
    deleteApi: (apiId: string) =>
      orMissing(`delete API ${apiId}`, () => client.send(new g.DeleteApiCommand({ ApiId: apiId }))),

    integrations: (apiId: string): Promise<Integration[]> =>
      all('list integrations', (NextToken) =>
        client.send(new g.GetIntegrationsCommand({ ApiId: apiId, NextToken })),
      ),
    createLambdaIntegration: (apiId: string, functionArn: string, timeoutMs: number) =>
      wrap('create the Lambda integration', () =>
        client.send(
          new g.CreateIntegrationCommand({
            ApiId: apiId,
            IntegrationType: 'AWS_PROXY',
            IntegrationUri: functionArn,
            IntegrationMethod: 'POST',
            PayloadFormatVersion: '2.0',
            TimeoutInMillis: timeoutMs,
          }),
        ),
      ),
    deleteIntegration: (apiId: string, id: string) =>
      orMissing(`delete integration ${id}`, () =>
        client.send(new g.DeleteIntegrationCommand({ ApiId: apiId, IntegrationId: id })),
      ),

    routes: (apiId: string): Promise<Route[]> =>
      all('list routes', (NextToken) => client.send(new g.GetRoutesCommand({ ApiId: apiId, NextToken }))),
    createRoute: (apiId: string, input: { routeKey: string; integrationId: string; authorizerId?: string }) =>
      wrap(`create route ${input.routeKey}`, () =>
        client.send(
          new g.CreateRouteCommand({
            ApiId: apiId,
            RouteKey: input.routeKey,
            Target: `integrations/${input.integrationId}`,
            ...(input.authorizerId
              ? { AuthorizationType: 'JWT' as const, AuthorizerId: input.authorizerId }
              : { AuthorizationType: 'NONE' as const }),
          }),
        ),
      ),
    deleteRoute: (apiId: string, id: string) =>
      orMissing(`delete route ${id}`, () =>
        client.send(new g.DeleteRouteCommand({ ApiId: apiId, RouteId: id })),
      ),

    authorizers: (apiId: string): Promise<Authorizer[]> =>
      all('list authorizers', (NextToken) =>
        client.send(new g.GetAuthorizersCommand({ ApiId: apiId, NextToken })),
      ),
    createJwtAuthorizer: (apiId: string, spec: JwtAuthorizerSpec) =>
      wrap(`create JWT authorizer ${spec.name}`, () =>
        client.send(
          new g.CreateAuthorizerCommand({
            ApiId: apiId,
            Name: spec.name,
            AuthorizerType: 'JWT',
            IdentitySource: ['$request.header.Authorization'],
            JwtConfiguration: { Issuer: spec.issuer, Audience: spec.audience },
          }),
        ),
      ),
    deleteAuthorizer: (apiId: string, id: string) =>
      orMissing(`delete authorizer ${id}`, () =>
        client.send(new g.DeleteAuthorizerCommand({ ApiId: apiId, AuthorizerId: id })),
      ),

    stages: (apiId: string): Promise<Stage[]> =>
      all('list stages', (NextToken) => client.send(new g.GetStagesCommand({ ApiId: apiId, NextToken }))),
    createStage: (apiId: string, name: string) =>
      wrap(`create stage ${name}`, () =>
        client.send(new g.CreateStageCommand({ ApiId: apiId, StageName: name, AutoDeploy: true })),
      ),
    deleteStage: (apiId: string, name: string) =>
      orMissing(`delete stage ${name}`, () =>
        client.send(new g.DeleteStageCommand({ ApiId: apiId, StageName: name })),
      ),
  };
}

export type HttpApiOps = Awaited<ReturnType<typeof httpApiOps>>;
