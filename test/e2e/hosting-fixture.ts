import {
  type AmplifyStandIn,
  type AmplifyStandInOptions,
  startAmplifyApi,
} from '../../src/sandbox/amplify-api.js';
import type { RunningStandIn } from '../../src/sandbox/http-stand-in.js';
import { startRenderApi } from '../../src/sandbox/render-api.js';
import { type SecretsStandIn, startSecretsStore } from '../../src/sandbox/secrets-store.js';
import { startVercelApi, type VercelStandIn } from '../../src/sandbox/vercel-api.js';

// Shared stand-ins and config for the hosting tests: a seeded Vercel Next.js project using Supabase and
// Qdrant, a Render backend with more variables than one page, Amplify, Secrets Manager + SSM.

export const VERCEL_TOKEN = 'vercel-token-0001';
export const RENDER_KEY = 'rnd_key_0001';
export const SERVICE_ROLE = 'service-role-secret-value-xyz';
export const STRIPE = 'sk_live_stripe_sensitive_value';
export const DB_URL = 'postgres://app:rds-pass-9876@db.example.com:5432/app';

export interface Stack {
  vercel: VercelStandIn;
  render: RunningStandIn;
  amplify: AmplifyStandIn;
  secrets: SecretsStandIn;
  close(): Promise<void>;
}

export async function startHostingStack(amplifyOptions: AmplifyStandInOptions = {}): Promise<Stack> {
  const vercel = await startVercelApi({
    tokens: [VERCEL_TOKEN],
    // Three pages of variables: the env list is read through pagination.next, as on a large project.
    envPageSize: 3,
    projects: [
      {
        id: 'prj_chatbot',
        name: 'chatbot-web',
        framework: 'nextjs',
        buildCommand: null,
        outputDirectory: null,
        installCommand: 'pnpm install',
        rootDirectory: 'apps/web',
        nodeVersion: '20.x',
        env: [
          {
            key: 'NEXT_PUBLIC_SUPABASE_URL',
            value: 'https://abc.supabase.co',
            type: 'plain',
            target: ['production', 'preview'],
          },
          {
            key: 'NEXT_PUBLIC_SUPABASE_ANON_KEY',
            value: 'anon-key-public',
            type: 'encrypted',
            target: ['production'],
          },
          {
            key: 'SUPABASE_SERVICE_ROLE_KEY',
            value: SERVICE_ROLE,
            type: 'encrypted',
            target: ['production'],
          },
          {
            key: 'DATABASE_URL',
            value: 'postgres://postgres:supa-pass-1234@db.abc.supabase.co:5432/postgres',
            type: 'encrypted',
            target: ['production'],
          },
          { key: 'QDRANT_URL', value: 'https://qdrant.example.com', type: 'plain', target: ['production'] },
          { key: 'STRIPE_SECRET_KEY', value: STRIPE, type: 'sensitive', target: ['production'] },
          { key: 'FEATURE_FLAG', value: 'on', type: 'plain', target: ['production'] },
          { key: 'DEV_ONLY', value: 'x', type: 'plain', target: ['development'] },
        ],
        domains: [
          { name: 'chatbot.example.com', verified: true },
          { name: 'www.chatbot.example.com', verified: true },
          { name: 'chatbot-web.vercel.app', verified: true },
        ],
      },
    ],
  });
  const backendEnv = Array.from({ length: 130 }, (_, i) => ({
    key: `WORKER_SETTING_${String(i).padStart(3, '0')}`,
    value: `v${i}`,
  }));
  const render = await startRenderApi({
    apiKeys: [RENDER_KEY],
    services: [
      {
        id: 'srv-backend',
        name: 'chatbot-api',
        type: 'web_service',
        runtime: 'node',
        region: 'frankfurt',
        buildCommand: 'npm ci && npm run build',
        startCommand: 'node dist/server.js',
        env: [{ key: 'QDRANT_API_KEY', value: 'qdrant-secret-key' }, ...backendEnv],
        customDomains: [{ name: 'api.chatbot.example.com', verified: true }],
      },
    ],
    envGroups: [
      {
        id: 'evg-shared',
        name: 'shared',
        envVars: [
          { key: 'SHARED_ONE', value: 'from-group' },
          { key: 'QDRANT_API_KEY', value: 'overridden' },
        ],
        serviceIds: ['srv-backend'],
      },
      {
        id: 'evg-other',
        name: 'other',
        envVars: [{ key: 'NOT_LINKED', value: 'x' }],
        serviceIds: ['srv-other'],
      },
    ],
  });
  const amplify = await startAmplifyApi({ region: 'eu-west-1', ...amplifyOptions });
  const secrets = await startSecretsStore({ region: 'eu-west-1' });
  return {
    vercel,
    render,
    amplify,
    secrets,
    close: async () => {
      await Promise.all([vercel.close(), render.close(), amplify.close(), secrets.close()]);
    },
  };
}

export function hostingConfig(
  stack: Stack,
  overrides: { vercel?: object; render?: object | false; amplify?: object; aws?: object } = {},
) {
  return {
    project: 'chatbot',
    source: {
      vercel: {
        token: VERCEL_TOKEN,
        projectId: 'prj_chatbot',
        apiUrl: stack.vercel.url,
        sensitiveFrom: { STRIPE_SECRET_KEY: 'ENGIFY_TEST_STRIPE' },
        ...overrides.vercel,
      },
      ...(overrides.render === false
        ? {}
        : {
            render: {
              apiKey: RENDER_KEY,
              serviceId: 'srv-backend',
              apiUrl: `${stack.render.url}/v1`,
              ...overrides.render,
            },
          }),
    },
    target: {
      aws: {
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-access-key' },
        endpoints: { amplify: stack.amplify.url, secretsManager: stack.secrets.url, ssm: stack.secrets.url },
        maxAttempts: 2,
        requestTimeoutMs: 5000,
        ...overrides.aws,
      },
      cognito: { userPoolName: 'chatbot-users' },
      rds: { mode: 'pg', url: DB_URL },
      dynamodb: { vectorTable: 'chatbot-vectors' },
      s3: { bucket: 'chatbot-files' },
      amplify: { appName: 'chatbot-web', ...overrides.amplify },
    },
  };
}
