import { afterEach, describe, expect, it } from 'vitest';
import { createRailwaySource, type RailwayConfig } from '../../../../src/providers/railway/railway-source.js';
import {
  type RailwayStandIn,
  type RailwayStandInOptions,
  startRailwayApi,
} from '../../../../src/sandbox/railway-api.js';

// The Railway source against the GraphQL stand-in over HTTP with the real fetch: ids behind the
// configured names, commands from serviceInstance, variables with shared/same-service references
// rendered, a reference to another service refused (or resolved when told), custom domains only, and a
// token without access to the project named as source.railway.token.

const TOKEN = 'railway-account-token';
const OUTSIDER = 'railway-other-team-token';
const PROJECT_TOKEN = 'railway-project-token';
const running: RailwayStandIn[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});

const seed = (apiVars: Record<string, string>): RailwayStandInOptions => ({
  tokens: [
    { token: TOKEN, kind: 'account', projects: ['prj-1'] },
    { token: OUTSIDER, kind: 'account', projects: ['prj-other'] },
    { token: PROJECT_TOKEN, kind: 'project', projects: ['prj-1'] },
  ],
  projects: [
    {
      id: 'prj-1',
      name: 'chatbot',
      environments: [
        { id: 'env-prod', name: 'production', shared: { DOMAIN: 'api.chatbot.example.com' } },
        { id: 'env-stg', name: 'staging' },
      ],
      services: [
        {
          id: 'svc-api',
          name: 'api',
          buildCommand: 'npm ci && npm run build',
          startCommand: 'node dist/server.js',
          rootDirectory: 'apps/api',
          builder: 'RAILPACK',
          region: 'europe-west4',
          variables: apiVars,
          serviceDomain: 'api-production.up.railway.app',
          customDomains: [
            { domain: 'api.chatbot.example.com', verified: true },
            { domain: 'new.chatbot.example.com', verified: false },
          ],
        },
        {
          id: 'svc-pg',
          name: 'Postgres',
          variables: { DATABASE_URL: 'postgres://railway:pg-secret@postgres.railway.internal:5432/railway' },
          customDomains: [],
        },
      ],
    },
  ],
});

async function start(
  vars: Record<string, string>,
  overrides: Partial<RailwayConfig> = {},
): Promise<{ api: RailwayStandIn; config: RailwayConfig }> {
  const api = await startRailwayApi(seed(vars));
  running.push(api);
  return {
    api,
    config: {
      token: TOKEN,
      tokenKind: 'account',
      projectId: 'prj-1',
      service: 'api',
      environment: 'production',
      apiUrl: `${api.url}/graphql/v2`,
      serviceReferences: 'refuse',
      ...overrides,
    },
  };
}

describe('Railway hosting source', () => {
  it('reads settings, rendered variables and custom domains by names', async () => {
    const { api, config } = await start({
      PORT: '8080',
      PUBLIC_URL: 'https://${{shared.DOMAIN}}/v1',
      HEALTH_URL: '${{PUBLIC_URL}}/health',
    });
    const source = createRailwaySource(config, { attempts: 1 });
    expect(await source.settings()).toEqual({
      provider: 'railway',
      name: 'api',
      framework: null,
      buildCommand: 'npm ci && npm run build',
      outputDirectory: null,
      installCommand: null,
      rootDirectory: 'apps/api',
      nodeVersion: null,
      startCommand: 'node dist/server.js',
      runtime: 'railpack',
      region: 'europe-west4',
      serviceType: 'web_service',
    });
    const vars = await source.envVars();
    expect(Object.fromEntries(vars.map((v) => [v.key, v.value]))).toEqual({
      PORT: '8080',
      PUBLIC_URL: 'https://api.chatbot.example.com/v1',
      HEALTH_URL: 'https://api.chatbot.example.com/v1/health',
    });
    expect(vars.every((v) => v.type === 'service' && !v.sensitive)).toBe(true);
    expect(await source.domains()).toEqual([
      { name: 'api.chatbot.example.com', verified: true, redirect: null },
      { name: 'new.chatbot.example.com', verified: false, redirect: null },
    ]);
    // The ids behind the names are looked up once; each request carries the bearer token.
    expect(api.operations.filter((o) => o === 'project')).toHaveLength(1);
    expect(api.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const body = JSON.parse(api.requests.at(-1)?.body ?? '{}') as { variables: Record<string, string> };
    expect(body.variables).toEqual({ projectId: 'prj-1', environmentId: 'env-prod', serviceId: 'svc-api' });
  });

  it('sends a project token in Project-Access-Token', async () => {
    const { api, config } = await start({ PORT: '8080' }, { token: PROJECT_TOKEN, tokenKind: 'project' });
    await createRailwaySource(config, { attempts: 1 }).envVars();
    expect(api.requests.every((r) => r.headers['project-access-token'] === PROJECT_TOKEN)).toBe(true);
    expect(api.requests.some((r) => r.headers.authorization !== undefined)).toBe(false);
  });

  it('refuses a reference to another service, naming variable and service; resolves it when told', async () => {
    const vars = { PORT: '8080', DATABASE_URL: '${{Postgres.DATABASE_URL}}' };
    const { config } = await start(vars);
    const refused = createRailwaySource(config, { attempts: 1 }).envVars();
    await expect(refused).rejects.toMatchObject({
      code: 'RAILWAY_SERVICE_REFERENCE',
      kind: 'config',
      message: expect.stringContaining('DATABASE_URL = ${{Postgres.DATABASE_URL}}'),
      hint: expect.stringContaining('source.railway.serviceReferences'),
    });
    await expect(refused).rejects.not.toMatchObject({ message: expect.stringContaining('pg-secret') });

    // A key the target side drops or sets (target.amplify.envMapping) may keep its reference.
    const mapped = await createRailwaySource(config, { attempts: 1, mappedKeys: ['DATABASE_URL'] }).envVars();
    expect(mapped.map((v) => v.key).sort()).toEqual(['DATABASE_URL', 'PORT']);

    const resolved = await createRailwaySource(
      { ...config, serviceReferences: 'resolve' },
      { attempts: 1 },
    ).envVars();
    expect(resolved.find((v) => v.key === 'DATABASE_URL')).toEqual({
      key: 'DATABASE_URL',
      value: 'postgres://railway:pg-secret@postgres.railway.internal:5432/railway',
      type: 'reference:Postgres',
      sensitive: true,
    });
  });

  it('names source.railway.token when the token has no access to the project', async () => {
    const { config } = await start({});
    const source = createRailwaySource({ ...config, token: OUTSIDER }, { attempts: 1 });
    await expect(source.settings()).rejects.toMatchObject({
      code: 'RAILWAY_AUTH',
      kind: 'config',
      message: expect.stringMatching(/source\.railway\.token.*"prj-1".*Not Authorized/),
    });
    const unknown = createRailwaySource({ ...config, token: 'not-a-token' }, { attempts: 1 });
    await expect(unknown.envVars()).rejects.toMatchObject({ code: 'RAILWAY_AUTH' });
  });

  it('lists the known names when the service or environment is wrong', async () => {
    const { config } = await start({});
    await expect(
      createRailwaySource({ ...config, service: 'web' }, { attempts: 1 }).settings(),
    ).rejects.toMatchObject({
      code: 'RAILWAY_SERVICE_NOT_FOUND',
      message: expect.stringContaining('(it has: api, Postgres)'),
    });
    await expect(
      createRailwaySource({ ...config, environment: 'prod' }, { attempts: 1 }).domains(),
    ).rejects.toMatchObject({
      code: 'RAILWAY_ENVIRONMENT_NOT_FOUND',
      message: expect.stringContaining('(it has: production, staging)'),
    });
  });
});
