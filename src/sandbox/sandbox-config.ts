import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
        credentials: { accessKeyId: '${ENGIFY_SANDBOX_AWS_KEY_ID}', secretAccessKey: '${ENGIFY_SANDBOX_AWS_SECRET}' },
        endpoints: { cognito: stack.endpoints.cognito, dynamodb: stack.endpoints.dynamodb, s3: stack.endpoints.s3 },
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
