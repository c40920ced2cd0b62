import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_BUCKETS, DEMO_SOURCE_DB, DEMO_USERS, DEMO_VERCEL_PROJECT } from './demo-seed.js';
import { DEMO_GITHUB_TOKEN, DEMO_REGION, DEMO_RENDER_SERVICE, type DemoStack } from './demo-stack.js';
import type { LocalStack } from './stack.js';

// A migrations.config.json pointing every source and target at the local stack. The local
// credentials are not secrets, but they go through ${VAR} like real ones so the demo shows the syntax.

export const SANDBOX_ENV = {
  ENGIFY_SANDBOX_AWS_KEY_ID: 'S3RVER',
  ENGIFY_SANDBOX_AWS_SECRET: 'S3RVER',
} as const;

export function sandboxConfig(stack: LocalStack, project = 'engify-demo'): Record<string, unknown> {
  return {
    $schema: 'https://unpkg.com/engify-migrate/schema/migrations.config.schema.json',
    project,
    stateDir: '.engify',
    source: {
      supabase: {
        dbUrl: stack.postgres.url('supabase'),
        schemas: ['public'],
      },
    },
    target: {
      aws: {
        region: 'us-east-1',
        credentials: {
          accessKeyId: '${ENGIFY_SANDBOX_AWS_KEY_ID}',
          secretAccessKey: '${ENGIFY_SANDBOX_AWS_SECRET}',
        },
        endpoints: {
          cognito: stack.endpoints.cognito,
          dynamodb: stack.endpoints.dynamodb,
          s3: stack.endpoints.s3,
          cloudwatch: stack.endpoints.cloudwatch,
          sns: stack.endpoints.sns,
        },
        maxAttempts: 3,
        requestTimeoutMs: 10_000,
      },
      cognito: { userPoolName: `${project}-users`, appClientName: `${project}-web` },
      rds: { mode: 'pg', url: stack.postgres.url('app'), createDatabase: true },
      dynamodb: { vectorTable: `${project}-vectors` },
      s3: {
        bucket: `${project}-files`,
        cors: [{ allowedOrigins: ['http://localhost:3000'], allowedMethods: ['GET', 'PUT'] }],
        versioning: true,
      },
    },
    flags: { store: 'file', path: '.engify/flags.json' },
  };
}

export function writeSandboxConfig(dir: string, stack: LocalStack, project?: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'migrations.config.json');
  writeFileSync(path, `${JSON.stringify(sandboxConfig(stack, project), null, 2)}\n`);
  for (const [k, v] of Object.entries(SANDBOX_ENV)) process.env[k] ??= v;
  return path;
}

// The demo stack's config: every section, every source and target at the local stack and its
// stand-ins. Secrets go through ${VAR}; demoEnv() gives the values the demo process sets.

export interface DemoConfigOptions {
  project?: string;
  /** Include the Qdrant source and the DynamoDB vector target (only when the vectors steps exist). */
  vectors: boolean;
}

export function demoEnv(stack: DemoStack): Record<string, string> {
  return {
    ...SANDBOX_ENV,
    ENGIFY_DEMO_SUPABASE_SERVICE_KEY: stack.keys.supabaseServiceKey,
    ENGIFY_DEMO_QDRANT_API_KEY: stack.keys.qdrantApiKey,
    ENGIFY_DEMO_VERCEL_TOKEN: stack.keys.vercelToken,
    ENGIFY_DEMO_RENDER_KEY: stack.keys.renderKey,
    ENGIFY_DEMO_GITHUB_TOKEN: DEMO_GITHUB_TOKEN,
    ...Object.fromEntries(
      DEMO_USERS.slice(0, 2).map((u, i) => [`ENGIFY_DEMO_PASSWORD_${i + 1}`, u.password]),
    ),
  };
}

export function demoConfig(stack: DemoStack, options: DemoConfigOptions): Record<string, unknown> {
  const project = options.project ?? 'engify-demo';
  const e = stack.endpoints;
  return {
    $schema: 'https://unpkg.com/engify-migrate/schema/migrations.config.schema.json',
    project,
    stateDir: '.engify',
    source: {
      supabase: {
        dbUrl: stack.local.postgres.url(DEMO_SOURCE_DB),
        apiUrl: e.supabase,
        serviceRoleKey: '${ENGIFY_DEMO_SUPABASE_SERVICE_KEY}',
        schemas: ['public'],
        buckets: [...DEMO_BUCKETS],
        storage: { mode: 'db' },
      },
      ...(options.vectors
        ? {
            qdrant: {
              url: e.qdrant,
              apiKey: '${ENGIFY_DEMO_QDRANT_API_KEY}',
              collections: ['bot_*'],
              watermarkField: 'updated_at',
            },
          }
        : {}),
      vercel: { token: '${ENGIFY_DEMO_VERCEL_TOKEN}', projectId: DEMO_VERCEL_PROJECT, apiUrl: e.vercel },
      render: { apiKey: '${ENGIFY_DEMO_RENDER_KEY}', serviceId: DEMO_RENDER_SERVICE, apiUrl: e.render },
    },
    target: {
      aws: {
        region: DEMO_REGION,
        credentials: {
          accessKeyId: '${ENGIFY_SANDBOX_AWS_KEY_ID}',
          secretAccessKey: '${ENGIFY_SANDBOX_AWS_SECRET}',
        },
        endpoints: {
          cognito: e.cognito,
          dynamodb: e.dynamodb,
          s3: e.s3,
          amplify: e.amplify,
          amplifyHosting: e.amplifyHosting,
          secretsManager: e.secretsManager,
          ssm: e.ssm,
          route53: e.route53,
          rds: e.rds,
          lambda: e.lambda,
          apigateway: e.apigateway,
          iam: e.iam,
          cloudwatch: e.cloudwatch,
          sns: e.sns,
          dms: e.dms,
        },
        maxAttempts: 3,
        requestTimeoutMs: 10_000,
      },
      cognito: { userPoolName: `${project}-users`, appClientName: `${project}-web` },
      // Provisioned by db.instance (phase 1) through the RDS stand-in: no URL in the config.
      rds: { mode: 'pg', instance: { identifier: `${project}-db`, pollIntervalMs: 50 } },
      ...(options.vectors
        ? { dynamodb: { vectorTable: `${project}-vectors`, filterFields: ['bot_id'], verifySampleSize: 10 } }
        : {}),
      s3: {
        bucket: `${project}-files`,
        cors: [{ allowedOrigins: ['http://localhost:3000'], allowedMethods: ['GET', 'PUT'] }],
        versioning: true,
      },
      amplify: {
        appName: `${project}-web`,
        branch: 'main',
        secretStore: 'secrets-manager',
      },
      // The zone is found by name (ListHostedZonesByName); cutover switches its records to Amplify.
      route53: { ttl: 60, pollIntervalMs: 20 },
    },
    // A backup before any data moves (phase 2) and one before cutover, in a bucket of their own.
    backup: { bucket: `${project}-backups`, retentionDays: 7 },
    // Alarms on sync (lag, errors, no data) and the backend, notifying a topic with an email on it.
    monitoring: { alarmEmail: 'ops@engify-demo.dev' },
    auth: {
      passwords: 'import-hashes',
      // The stand-in checks the role is given, as AWS does; locally it is never assumed.
      importJob: {
        pollSeconds: 0.2,
        cloudWatchLogsRoleArn: 'arn:aws:iam::000000000000:role/engify-demo-cognito-import-logs',
      },
      verifySignIn: DEMO_USERS.slice(0, 2).map((u, i) => ({
        email: u.email,
        password: `\${ENGIFY_DEMO_PASSWORD_${i + 1}}`,
      })),
    },
    backend: {
      sourceDir: stack.backendSourceDir,
      publicRoutes: ['GET /api/health', 'GET /api/public/info'],
      acknowledge: ['long-requests', 'after-response'],
      sourceUrl: e.renderApp,
      pollIntervalMs: 20,
      smoke: [
        { method: 'GET', path: '/api/health', status: 200, deterministic: true },
        { method: 'GET', path: '/api/bots', status: 200, auth: true },
      ],
    },
    // Server-rendered Next.js: Amplify takes it only from its repository (no manual deploy of SSR).
    hosting: {
      deploy: 'repository',
      repository: { token: '${ENGIFY_DEMO_GITHUB_TOKEN}' },
      smoke: [{ path: '/', status: 200 }],
      pollIntervalMs: 50,
    },
    flags: { store: 'file', path: '.engify/flags.json' },
    jobs: 2,
  };
}

export function writeDemoConfig(dir: string, stack: DemoStack, options: DemoConfigOptions): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'migrations.config.json');
  writeFileSync(path, `${JSON.stringify(demoConfig(stack, options), null, 2)}\n`);
  for (const [k, v] of Object.entries(demoEnv(stack))) process.env[k] = v;
  return path;
}
