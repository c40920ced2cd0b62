import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmplifyClient, CreateAppCommand } from '@aws-sdk/client-amplify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostingAppStep } from '../../src/components/hosting/hosting-app.js';
import { hostingDomainStep } from '../../src/components/hosting/hosting-domain.js';
import { hostingEnvStep } from '../../src/components/hosting/hosting-env.js';
import type { Step } from '../../src/core/step.js';
import type { EngineSession } from '../../src/engine/session.js';
import { openTestSession } from '../helpers/session.js';
import {
  DB_URL,
  hostingConfig,
  SERVICE_ROLE,
  STRIPE,
  type Stack,
  startHostingStack,
} from './hosting-fixture.js';

const steps: Step[] = [hostingAppStep, hostingEnvStep, hostingDomainStep];

let stack: Stack;
const sessions: EngineSession[] = [];

function open(config: Record<string, unknown>): EngineSession {
  const s = openTestSession(config);
  sessions.push(s);
  // Phase 1 outputs, as auth.pool / vectors.table / files.bucket journal them.
  const out = (id: string, key: string, value: string) => s.context({ id }).journal.output(key, value);
  out('auth.pool', 'userPoolId', 'eu-west-1_Pool123');
  out('auth.pool', 'appClientId', 'client-abc');
  out('vectors.table', 'table', 'chatbot-vectors');
  out('files.bucket', 'bucket', 'chatbot-files');
  return s;
}

async function applyStep(session: EngineSession, step: Step, logs: string[] = []) {
  const ctx = session.context(step, { log: (line) => logs.push(line) });
  const changes = await step.plan(ctx);
  for (const c of changes) if (c.action !== 'noop') await step.apply(ctx, c);
  return changes;
}

async function applyAll(session: EngineSession, logs: string[] = []) {
  for (const step of steps) await applyStep(session, step, logs);
}

async function rollbackAll(session: EngineSession) {
  for (const step of [...steps].reverse()) await step.rollback?.(session.context(step));
}

beforeAll(async () => {
  process.env.ENGIFY_TEST_STRIPE = STRIPE;
  stack = await startHostingStack();
});
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  stack.amplify.apps.clear();
  stack.secrets.secrets.clear();
  stack.secrets.parameters.clear();
});
afterAll(async () => {
  await stack.close();
});

describe('hosting steps: Vercel + Render -> Amplify', () => {
  it('creates app, branch, env, secrets and domain; verifies; a rerun is a noop; rollback removes what it made', async () => {
    const session = open(hostingConfig(stack));
    const plan = await hostingAppStep.plan(session.context(hostingAppStep));
    expect(plan.map((c) => c.action)).toEqual(['create', 'create']);
    expect(JSON.stringify(plan[0]?.details)).toContain('WEB_COMPUTE');

    const logs: string[] = [];
    await applyAll(session, logs);

    // App: server-rendered Next.js, monorepo build spec from the Vercel settings, production branch.
    const [record] = [...stack.amplify.apps.values()];
    expect(record).toBeDefined();
    const app = record!.app as Record<string, unknown>;
    expect(app.platform).toBe('WEB_COMPUTE');
    expect(app.buildSpec).toContain('appRoot: apps/web');
    expect(app.buildSpec).toContain('- pnpm install');
    expect(app.buildSpec).toContain('nvm use 20');
    expect(app.buildSpec).toContain('baseDirectory: .next');
    expect(record!.branches.get('main')?.stage).toBe('PRODUCTION');

    // Env: Supabase/Qdrant rewritten to phase-1 resources; secrets not in plain env vars.
    const env = app.environmentVariables as Record<string, string>;
    expect(env.NEXT_PUBLIC_COGNITO_USER_POOL_ID).toBe('eu-west-1_Pool123');
    expect(env.NEXT_PUBLIC_COGNITO_CLIENT_ID).toBe('client-abc');
    expect(env.NEXT_PUBLIC_AWS_REGION).toBe('eu-west-1');
    expect(env.NEXT_PUBLIC_S3_BUCKET).toBe('chatbot-files');
    expect(env.VECTOR_TABLE).toBe('chatbot-vectors');
    expect(env.FEATURE_FLAG).toBe('on');
    expect(env.DEV_ONLY).toBeUndefined();
    for (const k of [
      'DATABASE_URL',
      'SUPABASE_SERVICE_ROLE_KEY',
      'STRIPE_SECRET_KEY',
      'SUPABASE_DATABASE_URL',
    ])
      expect(env[k]).toBeUndefined();
    expect(env.ENGIFY_SECRETS_PREFIX).toBe('engify/chatbot/chatbot-web/');
    const secret = (name: string) => stack.secrets.secrets.get(`engify/chatbot/chatbot-web/${name}`)?.value;
    expect(secret('DATABASE_URL')).toBe(DB_URL);
    expect(secret('SUPABASE_SERVICE_ROLE_KEY')).toBe(SERVICE_ROLE);
    expect(secret('STRIPE_SECRET_KEY')).toBe(STRIPE);
    expect(secret('SUPABASE_DATABASE_URL')).toContain('supa-pass-1234');

    // Render backend: all pages (131 vars + linked group), service value wins over the group's.
    const backend = JSON.parse(
      stack.secrets.secrets.get('engify/chatbot/backend/chatbot-api')?.value ?? '{}',
    ) as Record<string, string>;
    expect(Object.keys(backend)).toHaveLength(132);
    expect(backend.QDRANT_API_KEY).toBe('qdrant-secret-key');
    expect(backend.SHARED_ONE).toBe('from-group');
    expect(backend.NOT_LINKED).toBeUndefined();
    expect(backend.WORKER_SETTING_129).toBe('v129');
    const envPages = stack.render.requests.filter((r) => r.path === '/v1/services/srv-backend/env-vars');
    expect(envPages.some((r) => r.query.cursor !== undefined)).toBe(true);

    // Domain and the DNS records to set.
    // Amplify associates the root domain; the Vercel hosts become its subdomain prefixes.
    const domain = record!.domains.get('example.com') as {
      subDomains: { subDomainSetting: { prefix: string } }[];
    };
    expect(domain.subDomains.map((s) => s.subDomainSetting.prefix).sort()).toEqual([
      'chatbot',
      'www.chatbot',
    ]);
    expect(logs.join('\n')).toMatch(/acm-validations\.aws/);
    expect(logs.join('\n')).toMatch(/www\.chatbot\.example\.com\s+CNAME\s+d[0-9a-f]+\.cloudfront\.net/);

    // Verify: everything passes except the domain, which waits for DNS.
    const verify = async () => (await Promise.all(steps.map((s) => s.verify(session.context(s))))).flat();
    let checks = await verify();
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(
      expect.arrayContaining(['domain example.com']),
    );
    expect(checks.filter((c) => !c.ok && !c.name.includes('example.com'))).toEqual([]);
    stack.amplify.setDomainStatus(app.appId as string, 'example.com', 'AVAILABLE');
    checks = await verify();
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.length).toBeGreaterThan(10);

    // Parity fails when a value drifts on Amplify.
    env.FEATURE_FLAG = 'off';
    const drift = await hostingEnvStep.verify(session.context(hostingEnvStep));
    expect(drift.find((c) => c.name === 'env FEATURE_FLAG')).toMatchObject({ ok: false, actual: 'differs' });
    env.FEATURE_FLAG = 'on';

    // No secret value in the journal.
    const journal = readFileSync(join(session.loaded.stateDir, 'journal.jsonl'), 'utf8');
    for (const v of [SERVICE_ROLE, STRIPE, 'rds-pass-9876', 'supa-pass-1234', 'qdrant-secret-key'])
      expect(journal).not.toContain(v);

    // Rerun: every plan is a noop and nothing is written.
    const writesBefore = stack.amplify.requests.filter((r) => r.method !== 'GET').length;
    const secretWritesBefore = stack.secrets.requests.filter(
      (r) => !/Get|Describe/.test(r.headers['x-amz-target'] ?? ''),
    ).length;
    for (const step of steps) {
      const again = await step.plan(session.context(step));
      expect(
        again.every((c) => c.action === 'noop'),
        `${step.id}: ${JSON.stringify(again)}`,
      ).toBe(true);
    }
    // Applying the in-step plan again (its noops included) writes nothing.
    for (const step of steps) {
      const ctx = session.context(step);
      for (const c of await step.plan(ctx)) await step.apply(ctx, c);
    }
    expect(stack.amplify.requests.filter((r) => r.method !== 'GET').length).toBe(writesBefore);
    expect(
      stack.secrets.requests.filter((r) => !/Get|Describe/.test(r.headers['x-amz-target'] ?? '')).length,
    ).toBe(secretWritesBefore);
    expect(stack.amplify.apps.size).toBe(1);

    // Rollback: app, secrets, domain gone.
    await rollbackAll(session);
    expect(stack.amplify.apps.size).toBe(0);
    expect(stack.secrets.secrets.size).toBe(0);
  });

  it('puts secrets in SSM SecureString under Amplify environment-secret paths when configured', async () => {
    const session = open(hostingConfig(stack, { amplify: { secretStore: 'ssm' }, render: false }));
    await applyAll(session);
    const appId = [...stack.amplify.apps.keys()][0];
    const param = stack.secrets.parameters.get(`/amplify/${appId}/main/SUPABASE_SERVICE_ROLE_KEY`);
    expect(param).toMatchObject({ type: 'SecureString', value: SERVICE_ROLE });
    expect(stack.secrets.secrets.size).toBe(0);
    const checks = await hostingEnvStep.verify(session.context(hostingEnvStep));
    expect(checks.every((c) => c.ok)).toBe(true);
    await rollbackAll(session);
    expect(stack.secrets.parameters.size).toBe(0);
    expect(stack.amplify.apps.size).toBe(0);
  });

  it('refuses an existing app it did not create, adopts it when told, and leaves it on rollback', async () => {
    const client = new AmplifyClient({
      region: 'eu-west-1',
      endpoint: stack.amplify.url,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-access-key' },
    });
    const existing = await client.send(
      new CreateAppCommand({ name: 'chatbot-web', environmentVariables: { KEEP_ME: 'yes' } }),
    );
    client.destroy();
    const refused = open(hostingConfig(stack, { render: false }));
    await expect(applyStep(refused, hostingAppStep)).rejects.toMatchObject({
      code: 'AMPLIFY_APP_COLLISION',
      kind: 'config',
    });
    const plan = await hostingAppStep.plan(refused.context(hostingAppStep));
    expect(plan[0]?.warnings?.[0]).toContain('adopt');

    const adopting = open(hostingConfig(stack, { render: false, amplify: { adopt: true } }));
    await applyAll(adopting);
    expect(stack.amplify.apps.size).toBe(1);
    const env = stack.amplify.apps.get(existing.app?.appId as string)?.app.environmentVariables as Record<
      string,
      string
    >;
    expect(env.KEEP_ME).toBe('yes');
    expect(env.NEXT_PUBLIC_COGNITO_CLIENT_ID).toBe('client-abc');
    await rollbackAll(adopting);
    const after = stack.amplify.apps.get(existing.app?.appId as string);
    expect(after).toBeDefined();
    expect(after?.app.environmentVariables).toEqual({ KEEP_ME: 'yes' });
    expect(after?.branches.size).toBe(0);
    expect(after?.domains.size).toBe(0);
  });

  it('recognises an app created just before a crash (intent without created) on rerun', async () => {
    const session = open(hostingConfig(stack, { render: false }));
    const ctx = session.context(hostingAppStep);
    const changes = await hostingAppStep.plan(ctx);
    await hostingAppStep.apply(ctx, changes[0]!);
    // Simulate the crash: a second session over the same state with the `created` record cut off.
    const journalPath = join(session.loaded.stateDir, 'journal.jsonl');
    const lines = readFileSync(journalPath, 'utf8').trim().split('\n');
    const cut = lines.filter((l) => {
      const r = JSON.parse(l) as { type: string; stepId: string };
      return r.stepId !== 'hosting.app' || (r.type !== 'created' && r.type !== 'output');
    });
    writeFileSync(journalPath, `${cut.join('\n')}\n`);
    const again = openTestSession({
      ...hostingConfig(stack, { render: false }),
      stateDir: session.loaded.stateDir,
    });
    sessions.push(again);
    const before = again.context(hostingAppStep).journal;
    expect(before.pendingIntents().map((r) => r.kind)).toContain('amplify-app');
    expect(before.createdResources().some((r) => r.kind === 'amplify-app')).toBe(false);
    await applyStep(again, hostingAppStep);
    expect(stack.amplify.apps.size).toBe(1);
    expect(
      again
        .context(hostingAppStep)
        .journal.createdResources()
        .some((r) => r.kind === 'amplify-app'),
    ).toBe(true);
  });
});

describe('hosting steps: bad input', () => {
  it('names the token field when Vercel rejects the token, and the project id when unknown', async () => {
    const bad = open(hostingConfig(stack, { vercel: { token: 'wrong-token-123' }, render: false }));
    const e1 = await hostingAppStep.plan(bad.context(hostingAppStep)).catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: 'VERCEL_AUTH', kind: 'config' });
    expect((e1 as Error).message).toContain('source.vercel.token');
    expect((e1 as Error).message).not.toContain('wrong-token-123');
    const missing = open(hostingConfig(stack, { vercel: { projectId: 'prj_nope' }, render: false }));
    const e2 = await hostingAppStep.plan(missing.context(hostingAppStep)).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: 'VERCEL_NOT_FOUND', kind: 'config' });
    expect((e2 as Error).message).toContain('prj_nope');
    const team = open(hostingConfig(stack, { vercel: { teamId: 'team_other' }, render: false }));
    await expect(hostingAppStep.plan(team.context(hostingAppStep))).rejects.toMatchObject({
      code: 'VERCEL_NOT_FOUND',
    });
    expect(stack.vercel.requests.at(-1)?.query.teamId).toBe('team_other');
  });

  it('names the Render key field and service id', async () => {
    const bad = open(hostingConfig(stack, { render: { apiKey: 'rnd_wrong' } }));
    await expect(
      applyStep(bad, hostingAppStep).then(() => applyStep(bad, hostingEnvStep)),
    ).rejects.toMatchObject({
      code: 'RENDER_AUTH',
      message: expect.stringContaining('source.render.apiKey'),
    });
    const missing = open(hostingConfig(stack, { render: { serviceId: 'srv-nope' } }));
    await expect(hostingEnvStep.plan(missing.context(hostingEnvStep))).rejects.toMatchObject({
      code: 'RENDER_NOT_FOUND',
      message: expect.stringContaining('srv-nope'),
    });
  });

  it('fails clearly when a sensitive Vercel variable has no local value', async () => {
    const session = open(
      hostingConfig(stack, {
        render: false,
        vercel: { sensitiveFrom: { STRIPE_SECRET_KEY: 'ENGIFY_TEST_UNSET' } },
      }),
    );
    await applyStep(session, hostingAppStep);
    const plan = await hostingEnvStep.plan(session.context(hostingEnvStep));
    expect(plan[0]?.warnings?.join(' ')).toContain('STRIPE_SECRET_KEY');
    const error = await applyStep(session, hostingEnvStep).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HOSTING_SENSITIVE_UNREADABLE', kind: 'config' });
    expect((error as Error).message).toContain('ENGIFY_TEST_UNSET');
    expect((error as { hint: string }).hint).toContain('sensitiveFrom');
    expect(stack.secrets.secrets.size).toBe(0);
  });

  it('moves over-long values to the secret store, and refuses them when forced plain or named AWS*', async () => {
    const project = stack.vercel.projects[0]!;
    project.env.push({ key: 'BIG_CONFIG', value: 'x'.repeat(6000), type: 'plain', target: ['production'] });
    try {
      const session = open(hostingConfig(stack, { render: false }));
      await applyAll(session);
      expect(stack.secrets.secrets.get('engify/chatbot/chatbot-web/BIG_CONFIG')?.value).toHaveLength(6000);
      await rollbackAll(session);

      const plain = open(hostingConfig(stack, { render: false, amplify: { plainKeys: ['BIG_CONFIG'] } }));
      await applyStep(plain, hostingAppStep);
      await expect(applyStep(plain, hostingEnvStep)).rejects.toMatchObject({
        code: 'HOSTING_ENV_TOO_LONG',
        message: expect.stringContaining('5500'),
      });

      project.env.push({ key: 'AWS_SOMETHING', value: 'v', type: 'plain', target: ['production'] });
      const reserved = open(
        hostingConfig(stack, {
          render: false,
          amplify: { adopt: true, envMapping: { BIG_CONFIG: { drop: true } } },
        }),
      );
      await applyStep(reserved, hostingAppStep);
      await expect(applyStep(reserved, hostingEnvStep)).rejects.toMatchObject({
        code: 'HOSTING_ENV_NAME',
        hint: expect.stringContaining('rename'),
      });
      const renamed = open(
        hostingConfig(stack, {
          render: false,
          amplify: {
            adopt: true,
            envMapping: { BIG_CONFIG: { drop: true }, AWS_SOMETHING: { rename: 'APP_SOMETHING' } },
          },
        }),
      );
      await applyAll(renamed);
      const env = [...stack.amplify.apps.values()][0]?.app.environmentVariables as Record<string, string>;
      expect(env.APP_SOMETHING).toBe('v');
      expect(env.BIG_CONFIG).toBeUndefined();
    } finally {
      project.env = project.env.filter((e) => e.key !== 'BIG_CONFIG' && e.key !== 'AWS_SOMETHING');
    }
  });

  it('turns the Amplify app quota into a config error with what to do', async () => {
    const limited = await startHostingStack({ maxApps: 0 });
    try {
      const session = open(hostingConfig(limited, { render: false }));
      const error = await applyStep(session, hostingAppStep).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'AMPLIFY_QUOTA', kind: 'config' });
      expect((error as { hint: string }).hint).toContain('Service Quotas');
      // Intent journaled, nothing created: rollback has nothing to delete and does not fail.
      await rollbackAll(session);
      expect(limited.amplify.apps.size).toBe(0);
    } finally {
      await limited.close();
    }
  });

  it('needs phase-1 outputs for the mapped values', async () => {
    const session = openTestSession(hostingConfig(stack, { render: false }));
    sessions.push(session);
    await applyStep(session, hostingAppStep);
    await expect(applyStep(session, hostingEnvStep)).rejects.toMatchObject({
      code: 'HOSTING_OUTPUT_MISSING',
      // Whichever mapped variable Vercel lists first (newest first, page by page) names its step.
      message: expect.stringMatching(
        /which step (auth\.pool|db\.schema|vectors\.table|files\.bucket) has not/,
      ),
    });
  });
});
