import type { Api, Cors } from '@aws-sdk/client-apigatewayv2';
import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { assertAsPlanned, planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { type HttpApiOps, httpApiOps, OWNER_TAG } from '../../providers/apigateway/http-api.js';
import { lambdaOps } from '../../providers/lambda/functions.js';
import { frontendSource, unreadableCheck } from '../hosting/hosting-shared.js';
import {
  API_STEP,
  apiUrlOutput,
  backendConfig,
  backendEnabled,
  desired,
  functionArnOutput,
  names,
  requirePool,
} from './backend-shared.js';
import { smokeChecks } from './backend-smoke.js';

// backend.api: the HTTP API in front of the function. A Lambda proxy integration (payload format 2.0,
// given explicitly as the SDK requires), a JWT authorizer trusting the Cognito pool from auth.pool
// (issuer https://cognito-idp.<region>.amazonaws.com/<poolId>, audience its app client, identity
// source $request.header.Authorization), `$default` protected by it, backend.publicRoutes left open,
// CORS for the frontend's origins, the `$default` stage with auto-deploy, and the resource-policy
// statement that lets this API invoke the function. Each part is journaled; rollback removes exactly
// those, in reverse.

const API = 'apigw-api';
const PART = {
  integration: 'apigw-integration',
  authorizer: 'apigw-authorizer',
  route: 'apigw-route',
  stage: 'apigw-stage',
  permission: 'lambda-permission',
} as const;
const STAGE = '$default';
const m = messages.backend;

const ops = async (ctx: StepContext): Promise<HttpApiOps> => httpApiOps(await ctx.services.apiGateway());

/** Where the frontend is served: the Amplify branch domain and the Vercel custom domains. */
async function origins(ctx: StepContext): Promise<string[]> {
  const b = backendConfig(ctx);
  if (b.corsOrigins) return b.corsOrigins;
  const out: string[] = [];
  const domain = ctx.journal.outputOf('hosting.app', 'defaultDomain');
  const branch = ctx.journal.outputOf('hosting.app', 'branch') ?? ctx.config.target.amplify?.branch;
  if (typeof domain === 'string' && domain && typeof branch === 'string')
    out.push(`https://${branch}.${domain}`);
  if (ctx.config.target.amplify?.domain) out.push(`https://${ctx.config.target.amplify.domain}`);
  if (ctx.config.source.vercel)
    for (const d of await frontendSource(ctx).domains())
      if (!d.name.endsWith('.vercel.app')) out.push(`https://${d.name}`);
  return [...new Set(out)].sort();
}

function cors(allowOrigins: string[]): Cors {
  return {
    AllowOrigins: allowOrigins,
    AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    AllowHeaders: ['authorization', 'content-type'],
    MaxAge: 600,
  };
}

const sameCors = (a: Cors | undefined, b: Cors) =>
  JSON.stringify([...(a?.AllowOrigins ?? [])].sort()) ===
    JSON.stringify([...(b.AllowOrigins ?? [])].sort()) &&
  JSON.stringify(a?.AllowMethods ?? []) === JSON.stringify(b.AllowMethods) &&
  JSON.stringify(a?.AllowHeaders ?? []) === JSON.stringify(b.AllowHeaders);

interface State {
  api?: Api | Partial<Api>;
  missing: string[];
}

const created = (ctx: StepContext, kind: string) =>
  ctx.journal.createdResources().filter((r) => r.kind === kind);

async function locate(ctx: StepContext, g: HttpApiOps): Promise<Partial<Api> | undefined> {
  const mine = created(ctx, API)[0];
  if (mine?.id) {
    const api = await g.getApi(mine.id);
    if (api) return api;
  }
  const { apiName } = names(ctx);
  const same = await g.findApis(apiName);
  const tagged = same.find((a) => a.Tags?.[OWNER_TAG] === ctx.config.project);
  if (tagged && ctx.journal.pendingIntents().some((r) => r.kind === API && r.name === apiName)) return tagged;
  if (same[0])
    throw new EngifyError({
      code: 'BACKEND_API_COLLISION',
      kind: 'config',
      message: m.collision('HTTP API', apiName),
      hint: m.collisionHint('backend.apiName'),
    });
  return undefined;
}

async function observe(
  ctx: StepContext,
  g: HttpApiOps,
  want: { cors: Cors; functionArn?: string; issuer: string; audience: string },
): Promise<State> {
  const api = await locate(ctx, g);
  if (!api?.ApiId) return { missing: ['api'] };
  const b = backendConfig(ctx);
  const missing: string[] = [];
  if (!sameCors(api.CorsConfiguration, want.cors)) missing.push('cors');
  const integrations = await g.integrations(api.ApiId);
  const integration = integrations.find(
    (i) => i.IntegrationUri === want.functionArn && i.PayloadFormatVersion === '2.0',
  );
  if (!integration) missing.push('integration');
  const authorizer = (await g.authorizers(api.ApiId)).find(
    (a) =>
      a.JwtConfiguration?.Issuer === want.issuer &&
      JSON.stringify(a.JwtConfiguration?.Audience) === JSON.stringify([want.audience]),
  );
  if (!authorizer) missing.push('authorizer');
  const routes = await g.routes(api.ApiId);
  const wanted = ['$default', ...b.publicRoutes];
  for (const key of wanted) {
    const r = routes.find((x) => x.RouteKey === key);
    const open = key !== '$default';
    if (
      !r ||
      r.Target !== `integrations/${integration?.IntegrationId}` ||
      (open ? r.AuthorizationType !== 'NONE' : r.AuthorizerId !== authorizer?.AuthorizerId)
    )
      missing.push(`route ${key}`);
  }
  for (const r of created(ctx, PART.route))
    if (!wanted.includes(r.name)) missing.push(`remove route ${r.name}`);
  if (!(await g.stages(api.ApiId)).some((s) => s.StageName === STAGE && s.AutoDeploy)) missing.push('stage');
  const { functionName } = names(ctx);
  if (
    !(await (await lambdaOps(await ctx.services.lambda())).permissions(functionName)).includes(
      `engify-apigw-${api.ApiId}`,
    )
  )
    missing.push('permission');
  return { api, missing };
}

async function wanted(ctx: StepContext) {
  const { userPoolId, appClientId } = requirePool(ctx);
  return {
    cors: cors(await origins(ctx)),
    functionArn: functionArnOutput(ctx),
    issuer: `https://cognito-idp.${ctx.config.target.aws.region}.amazonaws.com/${userPoolId}`,
    audience: appClientId,
  };
}

/** The API's routes and CORS as plan showed them, with the id of the API plan found (null: none). */
type ApiDetails = { publicRoutes: string[]; protected: string; corsOrigins: string[]; apiId: string | null };
type ApiAction = PlannedAction<'api', ApiDetails>;

export const backendApiStep: Step<ApiAction> = {
  id: API_STEP,
  phase: 3,
  component: 'backend',
  title: 'HTTP API: Lambda proxy (payload 2.0), Cognito JWT authorizer, CORS, $default stage',
  dependsOn: ['backend.function'],
  enabled: backendEnabled,

  async plan(ctx) {
    await desired(ctx);
    const { apiName } = names(ctx);
    const b = backendConfig(ctx);
    const g = await ops(ctx);
    let want: Awaited<ReturnType<typeof wanted>> | undefined;
    const warnings: string[] = [];
    try {
      want = await wanted(ctx);
    } catch (error) {
      if (!(error instanceof EngifyError) || !ctx.config.target.cognito) throw error;
      warnings.push(`${error.message} ${error.hint ?? ''}`.trim());
    }
    const details: ApiDetails = {
      publicRoutes: b.publicRoutes,
      protected: '$default (JWT: Cognito pool from auth.pool)',
      corsOrigins: want?.cors.AllowOrigins ?? [],
      apiId: (await locate(ctx, g))?.ApiId ?? null,
    };
    const state = want ? await observe(ctx, g, want) : { missing: ['api'], api: await locate(ctx, g) };
    if (state.missing.length === 0)
      return [
        { action: 'noop', resource: `http api ${apiName}`, subject: 'api', summary: 'in step', details },
      ];
    return [
      {
        action: state.api ? 'update' : 'create',
        resource: `http api ${apiName}`,
        subject: 'api',
        summary: state.api
          ? `bring in step: ${state.missing.join(', ')}`
          : `create with ${b.publicRoutes.length} public route(s), $default behind the JWT authorizer`,
        details,
        ...(warnings.length ? { warnings } : {}),
      },
    ];
  },

  async apply(ctx, change) {
    const want = await wanted(ctx);
    const b = backendConfig(ctx);
    const { apiName, functionName } = names(ctx);
    const { apiId: plannedApi, ...plannedShape } = change.details;
    assertAsPlanned(this.id, change, 'the routes and CORS origins', plannedShape, {
      publicRoutes: b.publicRoutes,
      protected: plannedShape.protected,
      corsOrigins: want.cors.AllowOrigins ?? [],
    });
    if (!want.functionArn)
      throw new EngifyError({
        code: 'BACKEND_FUNCTION_MISSING',
        kind: 'config',
        message: m.notMigrated(['backend.function']),
        hint: 'Run `engify-migrate apply --phase 3`.',
      });
    const g = await ops(ctx);
    let api = await locate(ctx, g);
    const foundApi = api?.ApiId ?? null;
    // locate() returns only an API of ours (a foreign one of that name is refused there); one plan
    // found that is gone, or another in its place, is drift.
    if (plannedApi !== null && foundApi !== plannedApi)
      throw planDrift(
        this.id,
        change.resource,
        plannedApi ? `api ${plannedApi}` : 'no such api',
        foundApi ? `api ${foundApi}` : 'no such api',
      );
    if (!api) {
      const resource: CreatedResource = { kind: API, name: apiName };
      ctx.journal.intent(resource);
      api = await g.createApi({ name: apiName, cors: want.cors, tags: { [OWNER_TAG]: ctx.config.project } });
      ctx.journal.created({ ...resource, id: api.ApiId });
    } else if (!created(ctx, API).some((r) => r.id === api?.ApiId))
      ctx.journal.created({ kind: API, name: apiName, id: api.ApiId });
    const apiId = api.ApiId as string;
    if (!sameCors(api.CorsConfiguration, want.cors)) await g.updateCors(apiId, want.cors);

    // Children of the API: found by their settings, created (and journaled) when absent.
    const part = async <T extends object>(
      kind: string,
      name: string,
      find: () => Promise<Partial<T> | undefined>,
      make: () => Promise<Partial<T>>,
      idOf: (x: Partial<T>) => string | undefined,
    ): Promise<Partial<T>> => {
      const found = await find();
      const resource: CreatedResource = { kind, name, id: apiId };
      if (found) {
        const pending = ctx.journal
          .pendingIntents()
          .some((r) => r.kind === kind && r.name === name && r.id === apiId);
        if (pending) ctx.journal.created({ ...resource, id: `${apiId}/${idOf(found)}` });
        return found;
      }
      ctx.journal.intent(resource);
      const made = await make();
      ctx.journal.created({ ...resource, id: `${apiId}/${idOf(made)}` });
      return made;
    };
    const integration = await part(
      PART.integration,
      'lambda',
      async () =>
        (await g.integrations(apiId)).find(
          (i) => i.IntegrationUri === want.functionArn && i.PayloadFormatVersion === '2.0',
        ),
      () => g.createLambdaIntegration(apiId, want.functionArn as string, 30_000),
      (i) => i.IntegrationId,
    );
    const authorizer = await part(
      PART.authorizer,
      'cognito',
      async () =>
        (await g.authorizers(apiId)).find(
          (a) =>
            a.JwtConfiguration?.Issuer === want.issuer &&
            JSON.stringify(a.JwtConfiguration?.Audience) === JSON.stringify([want.audience]),
        ),
      () =>
        g.createJwtAuthorizer(apiId, {
          name: `${apiName}-cognito`,
          issuer: want.issuer,
          audience: [want.audience],
        }),
      (a) => a.AuthorizerId,
    );
    const routeKeys = ['$default', ...b.publicRoutes];
    // Routes we made that no longer match (a public route removed, a new integration): replaced.
    for (const r of await g.routes(apiId)) {
      const ourRoute = created(ctx, PART.route).find((x) => x.id === `${apiId}/${r.RouteId}`);
      const open = r.RouteKey !== '$default';
      const stale =
        !routeKeys.includes(r.RouteKey ?? '') ||
        r.Target !== `integrations/${integration.IntegrationId}` ||
        (open ? r.AuthorizationType !== 'NONE' : r.AuthorizerId !== authorizer.AuthorizerId);
      if (ourRoute && stale) {
        await g.deleteRoute(apiId, r.RouteId as string);
        ctx.journal.undone({ resource: ourRoute });
      }
    }
    for (const key of routeKeys)
      await part(
        PART.route,
        key,
        async () => (await g.routes(apiId)).find((r) => r.RouteKey === key),
        () =>
          g.createRoute(apiId, {
            routeKey: key,
            integrationId: integration.IntegrationId as string,
            ...(key === '$default' ? { authorizerId: authorizer.AuthorizerId } : {}),
          }),
        (r) => r.RouteId,
      );
    await part(
      PART.stage,
      STAGE,
      async () => (await g.stages(apiId)).find((s) => s.StageName === STAGE),
      () => g.createStage(apiId, STAGE),
      (s) => s.StageName,
    );
    const lambda = await lambdaOps(await ctx.services.lambda());
    const sid = `engify-apigw-${apiId}`;
    const arn = want.functionArn.split(':');
    await part(
      PART.permission,
      sid,
      async () => ((await lambda.permissions(functionName)).includes(sid) ? { sid } : undefined),
      async () => {
        await lambda.addPermission(functionName, {
          statementId: sid,
          principal: 'apigateway.amazonaws.com',
          sourceArn: `arn:${arn[1]}:execute-api:${arn[3]}:${arn[4]}:${apiId}/*`,
        });
        return { sid };
      },
      (x) => x.sid,
    );
    const url = String(api.ApiEndpoint ?? '');
    if (apiUrlOutput(ctx) !== url) ctx.journal.output('url', url);
    if (ctx.journal.outputOf(API_STEP, 'apiId') !== apiId) ctx.journal.output('apiId', apiId);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const want = await wanted(ctx);
      const state = await observe(ctx, await ops(ctx), want);
      checks.push({
        name: `http api ${names(ctx).apiName}`,
        expected: [],
        actual: state.missing,
        ok: state.missing.length === 0,
      });
      if (state.missing.length === 0) checks.push(...(await smokeChecks(ctx)));
    } catch (error) {
      checks.push(unreadableCheck('backend api', error));
    }
    return checks;
  },

  async rollback(ctx) {
    const g = await ops(ctx);
    const all = [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()];
    const child = (r: CreatedResource) => (r.id ?? '').split('/');
    const order = [PART.permission, PART.stage, PART.route, PART.authorizer, PART.integration];
    for (const kind of order)
      for (const r of all.filter((x) => x.kind === kind)) {
        const [apiId, id] = child(r);
        if (id && apiId) {
          if (kind === PART.permission) {
            /* The statement goes with the function (backend.function deletes it); nothing else to undo. */
          } else if (kind === PART.stage) await g.deleteStage(apiId, id);
          else if (kind === PART.route) await g.deleteRoute(apiId, id);
          else if (kind === PART.authorizer) await g.deleteAuthorizer(apiId, id);
          else await g.deleteIntegration(apiId, id);
        }
        ctx.journal.undone({ resource: r });
      }
    for (const r of all.filter((x) => x.kind === API)) {
      if (r.id) await g.deleteApi(r.id);
      else
        for (const a of await g.findApis(r.name))
          if (a.Tags?.[OWNER_TAG] === ctx.config.project && a.ApiId) await g.deleteApi(a.ApiId);
      ctx.journal.undone({ resource: r });
    }
  },

  async verifyRollback(ctx) {
    const apis = await (await ops(ctx)).findApis(names(ctx).apiName).catch(() => []);
    return [
      {
        name: `http api ${names(ctx).apiName} gone`,
        expected: 0,
        actual: apis.length,
        ok: apis.length === 0,
      },
    ];
  },
};
