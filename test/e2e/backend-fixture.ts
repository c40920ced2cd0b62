import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import pg from 'pg';
import { type AmplifyStandIn, startAmplifyApi } from '../../src/sandbox/amplify-api.js';
import { BACKEND_APP_COMMANDS, writeBackendApp } from '../../src/sandbox/backend-app.js';
import { type BackendStandIns, startBackendStandIns } from '../../src/sandbox/backend-stand-ins.js';
import { freePort } from '../../src/sandbox/free-port.js';
import type { RunningStandIn } from '../../src/sandbox/http-stand-in.js';
import { startRenderApi } from '../../src/sandbox/render-api.js';
import { type SecretsStandIn, startSecretsStore } from '../../src/sandbox/secrets-store.js';
import { startVercelApi, type VercelStandIn } from '../../src/sandbox/vercel-api.js';
import { type ConfigDraft, e2eWorkspace } from '../helpers/e2e-config.js';

// The backend e2e's world: the Python app running as "Render" (reading the source database), the
// Render API describing it, a Vercel frontend whose VITE_API_URL points at it, Amplify, Secrets
// Manager, and the Lambda / API Gateway / IAM stand-ins; cognito-local from the shared stack.

export const RENDER_KEY = 'rnd_backend_e2e';
export const VERCEL_TOKEN = 'vc_backend_e2e';
export const API_TOKEN_VALUE = 'sk_backend_secret_value_123';
export const USER = { email: 'ada@example.com', password: 'Passw0rd!ok' };

export interface BackendWorld {
  render: RunningStandIn;
  vercel: VercelStandIn;
  amplify: AmplifyStandIn;
  secrets: SecretsStandIn;
  aws: BackendStandIns;
  renderUrl: string;
  sourceDir: string;
  sourceDb: string;
  targetDb: string;
  close(): Promise<void>;
}

async function sql(url: string, text: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const withDb = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

export async function startBackendWorld(postgresUrl: string, cognitoUrl: string): Promise<BackendWorld> {
  const tag = `b${process.pid}`;
  const sourceDb = withDb(postgresUrl, `${tag}_src`);
  const targetDb = withDb(postgresUrl, `${tag}_app`);
  for (const [db, rows] of [
    [`${tag}_src`, "('alpha','Alpha'),('beta','Beta')"],
    // The target has a row the source lacks: a gateway answer containing it came from "RDS".
    [`${tag}_app`, "('alpha','Alpha'),('beta','Beta'),('gamma','Gamma (on RDS)')"],
  ] as const) {
    await sql(postgresUrl, `DROP DATABASE IF EXISTS ${db}`);
    await sql(postgresUrl, `CREATE DATABASE ${db}`);
    await sql(
      withDb(postgresUrl, db),
      `CREATE TABLE public.bots (slug text PRIMARY KEY, name text NOT NULL); INSERT INTO public.bots VALUES ${rows}`,
    );
  }
  const sourceDir = writeBackendApp(join(mkdtempSync(join(tmpdir(), 'engify-backend-src-')), 'chatbot-api'));
  const port = await freePort();
  const app: ChildProcess = spawn('python3', ['app.py'], {
    cwd: sourceDir,
    env: { ...process.env, PORT: String(port), DATABASE_URL: sourceDb },
    stdio: 'ignore',
  });
  const renderUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${renderUrl}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const web = {
    type: 'web_service' as const,
    runtime: 'python',
    region: 'oregon',
    repo: 'https://github.com/example/chatbot-api',
    ...BACKEND_APP_COMMANDS,
    url: renderUrl,
    env: [
      { key: 'DATABASE_URL', value: sourceDb },
      { key: 'SERVICE_NAME', value: 'chatbot-api' },
      { key: 'STRIPE_API_KEY', value: API_TOKEN_VALUE },
      { key: 'PORT', value: '10000' },
    ],
    customDomains: [],
  };
  const render = await startRenderApi({
    apiKeys: [RENDER_KEY],
    services: [
      { id: 'srv-web', name: 'chatbot-api', ...web },
      { id: 'srv-worker', name: 'chatbot-worker', ...web, type: 'background_worker' },
      {
        id: 'srv-badbuild',
        name: 'chatbot-badbuild',
        ...web,
        buildCommand: 'echo compiling chatbot; echo "SyntaxError: bad thing" >&2; exit 3',
      },
      { id: 'srv-silent', name: 'chatbot-silent', ...web, startCommand: 'sleep 30' },
      {
        id: 'srv-disk',
        name: 'chatbot-disk',
        ...web,
        disk: { name: 'uploads', mountPath: '/var/data', sizeGB: 10 },
      },
    ],
  });
  const vercel = await startVercelApi({
    tokens: [VERCEL_TOKEN],
    projects: [
      {
        id: 'prj_front',
        name: 'chatbot-web',
        framework: 'vite',
        buildCommand: null,
        outputDirectory: null,
        installCommand: null,
        rootDirectory: null,
        nodeVersion: '20.x',
        env: [
          { key: 'VITE_API_URL', value: renderUrl, type: 'plain', target: ['production'] },
          { key: 'VITE_TITLE', value: 'Chatbot', type: 'plain', target: ['production'] },
        ],
        domains: [{ name: 'chat.example.com', verified: true }],
      },
    ],
  });
  const amplify = await startAmplifyApi({ region: 'us-east-1' });
  const secrets = await startSecretsStore({ region: 'us-east-1' });
  const aws = await startBackendStandIns({ region: 'us-east-1', cognitoUrl, secrets, settlePolls: 2 });
  return {
    render,
    vercel,
    amplify,
    secrets,
    aws,
    renderUrl,
    sourceDir,
    sourceDb,
    targetDb,
    close: async () => {
      app.kill('SIGKILL');
      await aws.close();
      await Promise.all([render.close(), vercel.close(), amplify.close(), secrets.close()]);
    },
  };
}

export function backendWorkspace(world: BackendWorld, edit: (c: ConfigDraft) => void = () => {}) {
  return e2eWorkspace((c) => {
    delete c.source.supabase;
    delete c.target.s3;
    c.source.render = {
      apiKey: '${TEST_RENDER_KEY}',
      serviceId: 'srv-web',
      apiUrl: `${world.render.url}/v1`,
    };
    c.source.vercel = { token: '${TEST_VERCEL_TOKEN}', projectId: 'prj_front', apiUrl: world.vercel.url };
    c.target.aws.endpoints = {
      ...c.target.aws.endpoints,
      amplify: world.amplify.url,
      secretsManager: world.secrets.url,
      ssm: world.secrets.url,
      lambda: world.aws.lambda.url,
      apigateway: world.aws.apigateway.url,
      iam: world.aws.iam.url,
    };
    // No db component here (its e2e tests cover it): the config names where the data now lives.
    c.target.amplify = {
      appName: `${c.project}-web`,
      branch: 'main',
      envMapping: { DATABASE_URL: { set: { DATABASE_URL: { value: world.targetDb } } } },
    };
    c.auth = {
      passwords: 'import-hashes',
      verifySignIn: [{ email: USER.email, password: '${TEST_USER_PASSWORD}' }],
    };
    c.backend = {
      sourceDir: world.sourceDir,
      publicRoutes: ['GET /api/health', 'GET /api/public/info'],
      acknowledge: ['long-requests', 'after-response'],
      sourceUrl: world.renderUrl,
      pollIntervalMs: 5,
      readinessTimeoutSeconds: 10,
      smoke: [
        { method: 'GET', path: '/api/health', status: 200, deterministic: true },
        { method: 'GET', path: '/api/public/info', status: 200, deterministic: true },
        { method: 'GET', path: '/api/bots', status: 200, auth: true },
      ],
    };
    edit(c);
  });
}

export const backendEnv = (ws: { env: Record<string, string> }) => ({
  ...ws.env,
  TEST_RENDER_KEY: RENDER_KEY,
  TEST_VERCEL_TOKEN: VERCEL_TOKEN,
  TEST_USER_PASSWORD: USER.password,
});

const cognito = (endpoint: string) =>
  new CognitoIdentityProviderClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });

/** A user in the migrated pool with a known password (auth.users would put it there). */
export async function addUser(endpoint: string, poolId: string): Promise<void> {
  const c = cognito(endpoint);
  await c.send(
    new AdminCreateUserCommand({
      UserPoolId: poolId,
      Username: USER.email,
      MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'email', Value: USER.email }],
    }),
  );
  await c.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: poolId,
      Username: USER.email,
      Password: USER.password,
      Permanent: true,
    }),
  );
  c.destroy();
}

export async function idToken(endpoint: string, clientId: string): Promise<string> {
  const c = cognito(endpoint);
  const out = await c.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: USER.email, PASSWORD: USER.password },
    }),
  );
  c.destroy();
  return out.AuthenticationResult?.IdToken ?? '';
}
