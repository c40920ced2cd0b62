// Backend benchmark: request latency of the migrated backend, on one machine in one run, for N
// sequential requests each way: the Python app called directly (as Render serves it), and the same
// app packaged by backend.function's packaging and called through the API Gateway stand-in + Lambda
// stand-in (payload 2.0 event, Web Adapter forwarding), on a public route and on a JWT-protected one
// (RS256 token verified against a JWKS, as the Cognito authorizer does). Reports p50/p99/mean and the
// overhead this tool's path adds. Each variant is warmed first (the cold start is reported apart).
// Run: npx tsx bench/backend/run.ts   (BACKEND_BENCH_N=1000)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { buildPackage } from '../../src/components/backend/backend-package.js';
import { TRUST_POLICY } from '../../src/components/backend/backend-role.js';
import { httpApiOps } from '../../src/providers/apigateway/http-api.js';
import { iamOps } from '../../src/providers/iam/roles.js';
import { lambdaOps } from '../../src/providers/lambda/functions.js';
import { BACKEND_APP_COMMANDS, writeBackendApp } from '../../src/sandbox/backend-app.js';
import { startBackendStandIns } from '../../src/sandbox/backend-stand-ins.js';
import { freePort } from '../../src/sandbox/free-port.js';

const N = Number(process.env.BACKEND_BENCH_N ?? 1000);
const region = 'us-east-1';
const common = { region, credentials: { accessKeyId: 'k', secretAccessKey: 's' } };
const ISSUER = `https://cognito-idp.${region}.amazonaws.com/${region}_Bench`;

const work = mkdtempSync(join(tmpdir(), 'engify-bench-backend-'));
const src = writeBackendApp(join(work, 'src'));

// A JWKS like Cognito's, and a token like an ID token of the app client.
const { publicKey, privateKey } = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
const jwks = createServer((_, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ keys: [jwk] }));
});
await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
// Served on every path: the stand-in asks <base>/<poolId>/.well-known/jwks.json, as of cognito-local.
const jwksBase = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
const token = await new SignJWT({ email: 'bench@example.com', token_use: 'id' })
  .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
  .setIssuer(ISSUER)
  .setAudience('bench-client')
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(privateKey);

const aws = await startBackendStandIns({ region, cognitoUrl: jwksBase, settlePolls: 0 });
let direct: ChildProcess | undefined;
try {
  // Deploy exactly as the backend steps do: role, zip from the same packaging, function, API.
  const iam = await iamOps(new IAMClient({ ...common, endpoint: aws.iam.url }));
  const role = await iam.createRole({
    roleName: 'bench-exec',
    trustPolicy: TRUST_POLICY,
    description: 'bench',
    tags: {},
  });
  const pkg = await buildPackage({
    sourceDir: src,
    workDir: join(work, 'build'),
    buildCommand: BACKEND_APP_COMMANDS.buildCommand,
    startCommand: BACKEND_APP_COMMANDS.startCommand,
    kind: 'python',
    maxZipBytes: 50 * 1024 * 1024,
    maxUnzippedBytes: 250 * 1024 * 1024,
    functionName: 'bench-api',
  });
  const lambda = await lambdaOps(new LambdaClient({ ...common, endpoint: aws.lambda.url }));
  const fn = await lambda.create({
    name: 'bench-api',
    roleArn: role.Arn as string,
    code: { zip: pkg.zip },
    runtime: 'python3.12',
    handler: 'run.sh',
    layers: [`arn:aws:lambda:${region}:753240598075:layer:LambdaAdapterLayerX86:26`],
    memoryMb: 1024,
    timeoutSeconds: 29,
    architecture: 'x86_64',
    environment: {
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap',
      AWS_LWA_PORT: '8080',
      PORT: '8080',
      AWS_LWA_READINESS_CHECK_PATH: '/api/health',
    },
  });
  await lambda.waitReady('bench-api', { pollIntervalMs: 5, timeoutMs: 10_000 });
  const g = await httpApiOps(new ApiGatewayV2Client({ ...common, endpoint: aws.apigateway.url }));
  const api = await g.createApi({ name: 'bench', cors: {}, tags: {} });
  const apiId = api.ApiId as string;
  const integration = await g.createLambdaIntegration(apiId, fn.FunctionArn as string, 30_000);
  const authorizer = await g.createJwtAuthorizer(apiId, {
    name: 'bench',
    issuer: ISSUER,
    audience: ['bench-client'],
  });
  await g.createRoute(apiId, {
    routeKey: 'GET /api/public/info',
    integrationId: integration.IntegrationId as string,
  });
  await g.createRoute(apiId, {
    routeKey: '$default',
    integrationId: integration.IntegrationId as string,
    authorizerId: authorizer.AuthorizerId,
  });
  await g.createStage(apiId, '$default');
  await lambda.addPermission('bench-api', {
    statementId: 'bench',
    principal: 'apigateway.amazonaws.com',
    sourceArn: `arn:aws:execute-api:${region}:123456789012:${apiId}/*`,
  });
  const gateway = api.ApiEndpoint as string;

  const port = await freePort();
  direct = spawn('python3', ['app.py'], {
    cwd: src,
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdio: 'ignore',
  });
  const app = `http://127.0.0.1:${port}`;
  for (
    let i = 0;
    i < 400 &&
    !(await fetch(`${app}/api/health`).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  )
    await new Promise((r) => setTimeout(r, 10));

  const t0 = performance.now();
  const cold = await fetch(`${gateway}/api/public/info`);
  const coldMs = performance.now() - t0;
  if (cold.status !== 200) throw new Error(`gateway answered ${cold.status}`);

  const measure = async (url: string, headers: Record<string, string> = {}, expect = 200) => {
    for (let i = 0; i < 50; i++) await (await fetch(url, { headers })).arrayBuffer();
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      const r = await fetch(url, { headers });
      await r.arrayBuffer();
      times.push(performance.now() - s);
      if (r.status !== expect) throw new Error(`${url}: HTTP ${r.status}`);
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) =>
      Number((times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? 0).toFixed(3));
    return {
      p50Ms: pct(50),
      p99Ms: pct(99),
      meanMs: Number((times.reduce((a, b) => a + b, 0) / times.length).toFixed(3)),
    };
  };
  const directPublic = await measure(`${app}/api/public/info`);
  const gatewayPublic = await measure(`${gateway}/api/public/info`);
  const directAuthed = await measure(`${app}/api/health`, { authorization: `Bearer ${token}` });
  const gatewayAuthed = await measure(`${gateway}/api/health`, { authorization: `Bearer ${token}` });
  const gatewayNoToken = await measure(`${gateway}/api/health`, {}, 401);
  const over = (a: { p50Ms: number; p99Ms: number }, b: { p50Ms: number; p99Ms: number }) => ({
    p50Ms: Number((a.p50Ms - b.p50Ms).toFixed(3)),
    p99Ms: Number((a.p99Ms - b.p99Ms).toFixed(3)),
  });
  const result = {
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
    requestsPerVariant: N,
    sequential: true,
    coldStartMs: Number(coldMs.toFixed(1)),
    direct: { publicRoute: directPublic, withToken: directAuthed },
    gateway: { publicRoute: gatewayPublic, jwtRoute: gatewayAuthed, jwtRouteWithoutToken401: gatewayNoToken },
    overhead: { publicRoute: over(gatewayPublic, directPublic), jwtRoute: over(gatewayAuthed, directAuthed) },
    packageBytes: pkg.bytes,
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(
    join(import.meta.dirname, '..', 'results', 'backend.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  direct?.kill('SIGKILL');
  await aws.close();
  jwks.close();
  rmSync(work, { recursive: true, force: true });
}
