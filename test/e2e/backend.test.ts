import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  API_TOKEN_VALUE,
  addUser,
  type BackendWorld,
  backendEnv,
  backendWorkspace,
  idToken,
  startBackendWorld,
} from './backend-fixture.js';

// The backend move through the built CLI: phase 1 (the pool), phase 3 (hosting + backend.role,
// backend.function, backend.api), calls through the gateway (public, 401 without a token, RDS data
// with one), verify (smoke against Render and the gateway), cutover backend -> target -> source (the
// frontend's VITE_API_URL on Amplify follows), a rerun that writes nothing, and rollback leaving
// nothing behind.

let world: BackendWorld;

beforeAll(async () => {
  const stack = inject('stack');
  world = await startBackendWorld(stack.postgresUrl, stack.endpoints.cognito);
});
afterAll(async () => {
  await world?.close();
});

const output = (dir: string, step: string, key: string): string | undefined => {
  const lines = readFileSync(join(dir, '.engify', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n');
  let value: string | undefined;
  for (const l of lines) {
    const r = JSON.parse(l) as { type: string; stepId?: string; key?: string; value?: unknown };
    if (r.type === 'output' && r.stepId === step && r.key === key && typeof r.value === 'string')
      value = r.value;
  }
  return value;
};

describe('backend: Render web service -> Lambda + HTTP API', () => {
  it('moves, verifies, cuts over and back, reruns as a noop, and rolls back to nothing', async () => {
    const ws = backendWorkspace(world);
    const env = backendEnv(ws);
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env });

    const p1 = await cli('apply', '--phase', '1', '--yes');
    expect(p1.code, p1.stdout + p1.stderr).toBe(0);
    const poolId = output(ws.dir, 'auth.pool', 'userPoolId') as string;
    const clientId = output(ws.dir, 'auth.pool', 'appClientId') as string;
    await addUser(ws.stack.endpoints.cognito, poolId);

    const p3 = await cli('apply', '--phase', '3', '--yes');
    expect(p3.code, p3.stdout + p3.stderr).toBe(0);
    expect(p3.stdout).toContain('backend.function');

    // What was created: a role trusting Lambda, reading only the function's secret.
    const role = world.aws.iam.roles.get(`${ws.project}-api-exec`);
    expect(role).toBeDefined();
    expect(world.aws.iam.trustsLambda(role!.arn)).toBe(true);
    const secret = [...world.secrets.secrets.values()].find(
      (s) => s.name === `engify/${ws.project}/lambda/${ws.project}-api`,
    );
    expect(secret).toBeDefined();
    expect(JSON.parse(secret!.value ?? '{}')).toMatchObject({
      DATABASE_URL: world.targetDb,
      STRIPE_API_KEY: API_TOKEN_VALUE,
    });
    expect(world.aws.iam.allows(role!.arn, 'secretsmanager:GetSecretValue', secret!.arn)).toBe(true);
    expect(world.aws.iam.allows(role!.arn, 'secretsmanager:GetSecretValue', `${secret!.arn}x`)).toBe(false);

    // The function: Web Adapter settings, secrets referenced, not inline.
    const fn = world.aws.lambda.functions.get(`${ws.project}-api`);
    const vars = (fn!.config.Environment as { Variables: Record<string, string> }).Variables;
    expect(vars).toMatchObject({
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap',
      AWS_LWA_PORT: '8080',
      PORT: '8080',
      AWS_LWA_READINESS_CHECK_PATH: '/api/health',
      ENGIFY_SECRET_ID: secret!.arn,
      SERVICE_NAME: 'chatbot-api',
    });
    expect(vars.DATABASE_URL).toBeUndefined();
    expect(vars.STRIPE_API_KEY).toBeUndefined();
    expect(fn!.config.Handler).toBe('run.sh');
    expect((fn!.config.Layers as { Arn: string }[]).map((l) => l.Arn)).toEqual([
      'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26',
      'arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:11',
    ]);
    const journal = readFileSync(join(ws.dir, '.engify', 'journal.jsonl'), 'utf8');
    expect(journal).not.toContain(API_TOKEN_VALUE);
    expect(p3.stdout + p3.stderr).not.toContain(API_TOKEN_VALUE);

    // Through the gateway: public routes open, the rest needs a Cognito token; data comes from RDS.
    const gateway = output(ws.dir, 'backend.api', 'url') as string;
    const health = await fetch(`${gateway}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const anon = await fetch(`${gateway}/api/bots`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({ message: 'Unauthorized' });
    const forged = await fetch(`${gateway}/api/bots`, {
      headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
    });
    expect(forged.status).toBe(401);
    const token = await idToken(ws.stack.endpoints.cognito, clientId);
    const bots = await fetch(`${gateway}/api/bots`, { headers: { authorization: `Bearer ${token}` } });
    expect(bots.status).toBe(200);
    const body = (await bots.json()) as { bots: { slug: string }[]; caller: string };
    expect(body.bots.map((b) => b.slug)).toEqual(['alpha', 'beta', 'gamma']);
    expect(body.caller).toBe('ada@example.com');
    // CORS: the preflight is answered by the gateway for the frontend's origins only.
    const appDomain = output(ws.dir, 'hosting.app', 'defaultDomain');
    const pre = await fetch(`${gateway}/api/bots`, {
      method: 'OPTIONS',
      headers: { origin: `https://main.${appDomain}`, 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(`https://main.${appDomain}`);
    const other = await fetch(`${gateway}/api/bots`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(
      (world.aws.apigateway.apis.values().next().value?.api.corsConfiguration as { allowOrigins: string[] })
        .allowOrigins,
    ).toContain('https://chat.example.com');

    // DNS is set by the user on AWS; the Amplify stand-in is told it was.
    for (const [id, app] of world.amplify.apps)
      for (const d of app.domains.keys()) world.amplify.setDomainStatus(id, d, 'AVAILABLE');
    const verify = await cli('verify');
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/smoke GET \/api\/bots \(signed in\)/);
    expect(verify.stdout).toMatch(/without a token/);

    // Cutover: the frontend's API URL goes to the gateway, then back.
    const appId = output(ws.dir, 'hosting.app', 'appId') as string;
    const apiVar = () =>
      (world.amplify.apps.get(appId)?.app as { environmentVariables: Record<string, string> })
        .environmentVariables.VITE_API_URL;
    expect(apiVar()).toBe(world.renderUrl);
    const toTarget = await cli('cutover', '--component', 'backend', '--to', 'target', '--yes');
    expect(toTarget.code, toTarget.stdout + toTarget.stderr).toBe(0);
    expect(apiVar()).toBe(gateway);
    const verifyAfter = await cli('verify');
    expect(verifyAfter.code, verifyAfter.stdout).toBe(0);
    const toSource = await cli('cutover', '--component', 'backend', '--to', 'source', '--yes');
    expect(toSource.code, toSource.stdout + toSource.stderr).toBe(0);
    expect(apiVar()).toBe(world.renderUrl);

    // A rerun plans and writes nothing on Lambda, API Gateway or IAM.
    const writes = () =>
      [world.aws.lambda, world.aws.apigateway, world.aws.iam].reduce(
        (n, s) =>
          n +
          s.requests.filter(
            (r) =>
              r.method !== 'GET' && !/Action=(Get|List)/.test(r.body) && !r.path.endsWith('/invocations'),
          ).length,
        0,
      );
    const before = writes();
    const again = await cli('apply', '--phase', '3', '--yes');
    expect(again.code, again.stdout).toBe(0);
    expect(writes()).toBe(before);

    const rollback = await cli('rollback', '--yes');
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(world.aws.iam.roles.has(`${ws.project}-api-exec`)).toBe(false);
    expect(world.aws.lambda.functions.has(`${ws.project}-api`)).toBe(false);
    expect([...world.aws.apigateway.apis.values()].filter((a) => a.api.name === `${ws.project}-api`)).toEqual(
      [],
    );
    expect(
      [...world.secrets.secrets.values()].filter(
        (s) => s.name.includes(ws.project) && s.deletedAt === undefined,
      ),
    ).toEqual([]);
    const after = await cli('verify');
    expect(after.stdout).not.toMatch(/backend\.\w+.*present/);
  }, 180_000);
});
