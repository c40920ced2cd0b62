import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

let counter = 0;

/** A config being edited by a test: arbitrary JSON on purpose (tests write invalid configs too). */
// biome-ignore lint/suspicious/noExplicitAny: tests poke arbitrary, often invalid, JSON
export type ConfigDraft = Record<string, any>;

/** A fresh folder with a config for the shared local stack, under a unique project name. */
export function e2eWorkspace(overrides: (config: ConfigDraft) => void = () => {}) {
  const stack = inject('stack');
  const project = `t${process.pid}-${Date.now().toString(36)}-${counter++}`.slice(0, 40);
  const dir = mkdtempSync(join(tmpdir(), 'engify-e2e-'));
  const config: ConfigDraft = {
    project,
    stateDir: '.engify',
    source: { supabase: { dbUrl: stack.postgresUrl, schemas: ['public'] } },
    target: {
      aws: {
        region: 'us-east-1',
        credentials: { accessKeyId: '${TEST_AWS_KEY_ID}', secretAccessKey: '${TEST_AWS_SECRET}' },
        endpoints: stack.endpoints,
        maxAttempts: 2,
        requestTimeoutMs: 10000,
      },
      cognito: { userPoolName: `${project}-users`, appClientName: `${project}-web` },
      s3: {
        bucket: `${project}-files`,
        cors: [{ allowedOrigins: ['https://app.example.com'], allowedMethods: ['GET'] }],
      },
    },
    flags: { store: 'file', path: '.engify/flags.json' },
  };
  overrides(config);
  const configPath = join(dir, 'migrations.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const env = { TEST_AWS_KEY_ID: 'S3RVER', TEST_AWS_SECRET: 'S3RVER' };
  return { dir, configPath, project, config, env, stack };
}
