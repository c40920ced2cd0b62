import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AmplifyStandIn, startAmplifyApi } from '../../src/sandbox/amplify-api.js';
import { type RailwayStandIn, startRailwayApi } from '../../src/sandbox/railway-api.js';
import { type SecretsStandIn, startSecretsStore } from '../../src/sandbox/secrets-store.js';
import { runCli } from '../helpers/cli.js';

// Phase 3 from a Railway service through the built CLI: plan, apply, a noop rerun, verify and
// rollback against the Railway GraphQL stand-in, Amplify and Secrets Manager; then the two bad inputs
// (a token without project access, a reference to another service) stop the plan with nothing written.

const TOKEN = 'railway-e2e-token';
const OUTSIDER = 'railway-e2e-outsider';
const PG_PASSWORD = 'pg-e2e-secret-4321';

let railway: RailwayStandIn;
let amplify: AmplifyStandIn;
let secrets: SecretsStandIn;

beforeAll(async () => {
  railway = await startRailwayApi({
    tokens: [
      { token: TOKEN, kind: 'account', projects: ['prj-rw'] },
      { token: OUTSIDER, kind: 'account', projects: [] },
    ],
    projects: [
      {
        id: 'prj-rw',
        name: 'chatbot',
        environments: [{ id: 'env-prod', name: 'production', shared: { SITE: 'chatbot.example.com' } }],
        services: [
          {
            id: 'svc-api',
            name: 'api',
            buildCommand: 'npm run build',
            startCommand: 'node server.js',
            variables: {
              PORT: '8080',
              PUBLIC_URL: 'https://${{shared.SITE}}',
              FEATURE_FLAG: 'on',
            },
            serviceDomain: 'api-production.up.railway.app',
            customDomains: [{ domain: 'app.chatbot.example.com', verified: true }],
          },
          {
            id: 'svc-worker',
            name: 'worker',
            variables: { DATABASE_URL: '${{Postgres.DATABASE_URL}}' },
            customDomains: [],
          },
          {
            id: 'svc-pg',
            name: 'Postgres',
            variables: {
              DATABASE_URL: `postgres://railway:${PG_PASSWORD}@postgres.railway.internal/railway`,
            },
            customDomains: [],
          },
        ],
      },
    ],
  });
  amplify = await startAmplifyApi({ region: 'eu-west-1' });
  secrets = await startSecretsStore({ region: 'eu-west-1' });
});
afterAll(async () => {
  await Promise.all([railway.close(), amplify.close(), secrets.close()]);
});

function workspace(
  railwayOverrides: Record<string, unknown> = {},
  amplifyOverrides: Record<string, unknown> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'engify-railway-'));
  const config = {
    project: 'chatbot',
    source: {
      railway: {
        token: '${RAILWAY_TOKEN}',
        projectId: 'prj-rw',
        service: 'api',
        apiUrl: `${railway.url}/graphql/v2`,
        ...railwayOverrides,
      },
    },
    target: {
      aws: {
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        endpoints: { amplify: amplify.url, secretsManager: secrets.url, ssm: secrets.url },
        maxAttempts: 2,
        requestTimeoutMs: 5000,
      },
      amplify: { appName: 'chatbot-api', ...amplifyOverrides },
    },
    flags: { store: 'file', path: '.engify/flags.json' },
  };
  const configPath = join(dir, 'migrations.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const cli = (token: string, ...args: string[]) =>
    runCli(['--config', configPath, ...args], { env: { RAILWAY_TOKEN: token } });
  return { dir, cli };
}

describe('phase 3 hosting from Railway through the CLI', () => {
  it('plans, applies, reruns as a noop, verifies and rolls back', async () => {
    const ws = workspace();
    const plan = await ws.cli(TOKEN, 'plan', '--phase', '3');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('chatbot-api');

    const apply = await ws.cli(TOKEN, 'apply', '--phase', '3', '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const [record] = [...amplify.apps.values()];
    const app = record?.app as Record<string, unknown>;
    expect(app.platform).toBe('WEB_COMPUTE');
    expect(app.buildSpec).toContain('npm run build');
    const backend = JSON.parse(secrets.secrets.get('engify/chatbot/backend/api')?.value ?? '{}');
    expect(backend).toMatchObject({ PORT: '8080', PUBLIC_URL: 'https://chatbot.example.com' });
    expect(Object.keys(backend).some((k) => k.startsWith('RAILWAY_'))).toBe(false);
    expect(record?.domains.has('example.com')).toBe(true);

    const again = await ws.cli(TOKEN, 'apply', '--phase', '3', '--yes', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/"action":"(create|update)"/);

    const app0 = record?.app as { appId: string };
    amplify.setDomainStatus(app0.appId, 'example.com', 'AVAILABLE');
    const verify = await ws.cli(TOKEN, 'verify', '--phase', '3');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const rollback = await ws.cli(TOKEN, 'rollback', '--phase', '3', '--yes');
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(amplify.apps.size).toBe(0);
    expect(secrets.secrets.size).toBe(0);
    const journal = readFileSync(join(ws.dir, '.engify', 'journal.jsonl'), 'utf8');
    expect(journal).not.toContain(TOKEN);
  });

  it('names source.railway.token for a token without project access; nothing is written', async () => {
    const ws = workspace();
    const apply = await ws.cli(OUTSIDER, 'apply', '--phase', '3', '--yes');
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain('source.railway.token');
    expect(apply.stderr).toContain('prj-rw');
    expect(apply.stderr + apply.stdout).not.toContain(OUTSIDER);
    expect(amplify.apps.size).toBe(0);
  });

  it('refuses a variable referencing another service, naming both; nothing is written', async () => {
    const ws = workspace({ service: 'worker' });
    const plan = await ws.cli(TOKEN, 'apply', '--phase', '3', '--yes');
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain('DATABASE_URL = ${{Postgres.DATABASE_URL}}');
    expect(plan.stderr).toContain('serviceReferences');
    expect(plan.stderr + plan.stdout).not.toContain(PG_PASSWORD);
    expect(amplify.apps.size).toBe(0);
    expect(secrets.secrets.size).toBe(0);

    // Dropping the variable on the target side (or setting its AWS value there) lifts the refusal.
    const dropped = workspace({ service: 'worker' }, { envMapping: { DATABASE_URL: { drop: true } } });
    const ok = await dropped.cli(TOKEN, 'plan', '--phase', '3');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain(PG_PASSWORD);
  });
});
