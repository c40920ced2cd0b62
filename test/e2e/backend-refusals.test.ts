import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import type { ConfigDraft } from '../helpers/e2e-config.js';
import { type BackendWorld, backendEnv, backendWorkspace, startBackendWorld } from './backend-fixture.js';

// Bad input for the backend move, through the built CLI: each is refused with a message naming the
// field, value or limit and what to do, and nothing of the backend is created (role, secret,
// function, API).

let world: BackendWorld;
beforeAll(async () => {
  const stack = inject('stack');
  world = await startBackendWorld(stack.postgresUrl, stack.endpoints.cognito);
});
afterAll(async () => {
  await world?.close();
});

function nothingCreated(project: string) {
  expect(world.aws.iam.roles.has(`${project}-api-exec`)).toBe(false);
  expect(world.aws.lambda.functions.has(`${project}-api`)).toBe(false);
  expect([...world.aws.apigateway.apis.values()].some((a) => a.api.name === `${project}-api`)).toBe(false);
  expect(
    [...world.secrets.secrets.values()].some((s) => s.name === `engify/${project}/lambda/${project}-api`),
  ).toBe(false);
}

const cases: { name: string; edit: (c: ConfigDraft) => void; expect: RegExp[] }[] = [
  {
    name: 'not acknowledged',
    edit: (c) => {
      c.backend.acknowledge = [];
    },
    expect: [
      /cannot host Render service "chatbot-api"/,
      /30 s/,
      /backend\.acknowledge: \["long-requests","after-response"\]/,
    ],
  },
  {
    name: 'a disk not acknowledged',
    edit: (c) => {
      c.source.render.serviceId = 'srv-disk';
    },
    expect: [/persistent disk/, /\/var\/data/, /"disk"/],
  },
  {
    name: 'a service type Lambda cannot host',
    edit: (c) => {
      c.source.render.serviceId = 'srv-worker';
    },
    expect: [/is a background_worker/, /web services only/],
  },
  {
    name: 'no code',
    edit: (c) => {
      delete c.backend.sourceDir;
    },
    expect: [/backend\.sourceDir/, /github\.com\/example\/chatbot-api/],
  },
  {
    name: 'a missing sourceDir',
    edit: (c) => {
      c.backend.sourceDir = '/nonexistent/chatbot-api';
    },
    expect: [/backend\.sourceDir "\/nonexistent\/chatbot-api" does not exist/],
  },
  {
    name: 'a build that fails',
    edit: (c) => {
      c.source.render.serviceId = 'srv-badbuild';
    },
    expect: [/failed \(exit 3\)/, /compiling chatbot/, /SyntaxError: bad thing/],
  },
  {
    name: 'a zip over the limit',
    edit: (c) => {
      c.backend.maxZipBytes = 1000;
    },
    expect: [/over the 1000 bytes limit/, /backend\.maxZipBytes/, /aws s3 cp .*\.zip s3:\/\//],
  },
  {
    name: 'an image in another region',
    edit: (c) => {
      delete c.backend.sourceDir;
      c.backend.imageUri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.2';
    },
    expect: [/is in eu-west-1, but the function is created in us-east-1/],
  },
  {
    name: 'a start command that never listens',
    edit: (c) => {
      c.source.render.serviceId = 'srv-silent';
      c.backend.readinessTimeoutSeconds = 1;
    },
    expect: [/`sleep 30` never answered the readiness check GET \/api\/health on port 8080/, /\$PORT/],
  },
  {
    name: 'a route conflict in publicRoutes',
    edit: (c) => {
      c.backend.publicRoutes = ['GET /api/health', 'ANY /api/health'];
    },
    expect: [/backend\.publicRoutes has conflicting routes/, /"ANY \/api\/health" and "GET \/api\/health"/],
  },
];

describe('backend: bad input is refused with nothing created', () => {
  it('refuses each case before writing anything', async () => {
    const ws = backendWorkspace(world);
    const env = backendEnv(ws);
    const p1 = await runCli(['--config', ws.configPath, 'apply', '--phase', '1', '--yes'], { env });
    expect(p1.code, p1.stdout + p1.stderr).toBe(0);
    const base = JSON.parse(readFileSync(ws.configPath, 'utf8')) as ConfigDraft;
    for (const c of cases) {
      const config = structuredClone(base);
      c.edit(config);
      writeFileSync(ws.configPath, JSON.stringify(config, null, 2));
      const r = await runCli(['--config', ws.configPath, 'apply', '--phase', '3', '--yes'], { env });
      const text = r.stdout + r.stderr;
      expect(r.code, `${c.name}: ${text}`).toBe(2);
      for (const re of c.expect) expect(text, c.name).toMatch(re);
      nothingCreated(ws.project);
    }
  }, 180_000);

  it('refuses when the pool is not there yet (auth.pool not applied)', async () => {
    const ws = backendWorkspace(world);
    const r = await runCli(['--config', ws.configPath, 'apply', '--phase', '3', '--yes'], {
      env: backendEnv(ws),
    });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/auth\.pool/);
    expect(r.stdout + r.stderr).toMatch(/apply --phase 1/);
    nothingCreated(ws.project);
  });
});
