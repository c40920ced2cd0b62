import { createHash } from 'node:crypto';
import type { CreatedResource, Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { assertAsPlanned } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { OWNER_TAG, type SecretStore } from '../../providers/secrets/secret-store.js';
import type { RewrittenVar } from './env-rewrite.js';
import {
  amplifyConfig,
  backendSecretName,
  backendSource,
  appId as currentAppId,
  frontendSource,
  hostingEnabled,
  ops,
  problemError,
  problemLines,
  requireAppId,
  rewrite,
  secretName,
  secretStore,
  secretsPrefix,
  unreadableCheck,
} from './hosting-shared.js';

// hosting.env: the source's variables, rewritten to the phase-1 AWS resources, onto the Amplify app.
// Plain variables become app env vars (merged: variables someone else set stay); secrets go to the
// configured secret store, never into an env var; a Render backend's variables become one JSON secret
// in Secrets Manager for the AWS backend. Values never enter the plan, the journal or a message.

const ENV_VAR = 'amplify-env-var';
const SECRET = { 'secrets-manager': 'secretsmanager-secret', ssm: 'ssm-parameter' } as const;
const PREFIX_VAR = 'ENGIFY_SECRETS_PREFIX';
const m = messages.hosting;

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

interface Desired {
  plain: Record<string, string>;
  secrets: { key: string; name: string; value: string | undefined; reason: string }[];
  backend?: { name: string; value: string | undefined; keys: string[] };
  placements: Json[];
  problems: string[];
  error?: EngifyError;
}

async function desired(ctx: StepContext): Promise<Desired> {
  const a = amplifyConfig(ctx);
  const app = currentAppId(ctx);
  const front = await rewrite(ctx, await frontendSource(ctx).envVars());
  const plain: Record<string, string> = {};
  const secrets: Desired['secrets'] = [];
  const placements: Json[] = [];
  const place = (v: RewrittenVar) => {
    if (v.secret) {
      const name = secretName(ctx, v.key, app);
      secrets.push({ key: v.key, name, value: v.value, reason: v.reason });
      placements.push({ key: v.key, to: `${a.secretStore}:${name}`, reason: v.reason });
    } else {
      if (v.value !== undefined) plain[v.key] = v.value;
      placements.push({ key: v.key, to: 'amplify env', reason: v.reason });
    }
  };
  for (const v of front.vars) place(v);
  // A cutover that re-pointed a frontend variable (the backend's API URL) owns its value from then on.
  const switched = ctx.journal.outputOf('cutover.backend', 'frontendVariable');
  const switchedTo = ctx.journal.outputOf('cutover.backend', 'frontendValue');
  if (typeof switched === 'string' && typeof switchedTo === 'string' && switched in plain)
    plain[switched] = switchedTo;
  if (a.secretStore === 'secrets-manager' && secrets.length > 0) plain[PREFIX_VAR] = secretsPrefix(ctx);
  const problems = [...front.problems];

  let backend: Desired['backend'];
  const back = await backendSource(ctx);
  if (back) {
    const rewritten = await rewrite(ctx, await back.source.envVars());
    problems.push(...rewritten.problems.filter((p) => p.kind !== 'reserved-name' && p.kind !== 'too-long'));
    const values: Record<string, string> = {};
    for (const v of rewritten.vars) if (v.value !== undefined) values[v.key] = v.value;
    const value = JSON.stringify(values);
    ctx.redactor.add(value);
    const name = backendSecretName(ctx, back.name);
    backend = { name, value, keys: rewritten.vars.map((v) => v.key) };
    placements.push({
      key: `(${rewritten.vars.length} Render backend variables)`,
      to: `secrets-manager:${name}`,
      reason: 'backend on AWS',
    });
  }
  const error = problemError(problems);
  return {
    plain,
    secrets,
    backend,
    placements,
    problems: problemLines(problems),
    ...(error ? { error } : {}),
  };
}

/** Creates or updates one secret, honouring ownership: ours (journal), crash-recovered, adopted, or a collision. */
async function ensureSecret(
  ctx: StepContext,
  store: SecretStore,
  name: string,
  value: string,
): Promise<void> {
  const resource: CreatedResource = { kind: SECRET[store.kind], name };
  const ours = ctx.journal.createdResources().some((r) => r.kind === resource.kind && r.name === name);
  if (Buffer.byteLength(value) > store.maxBytes)
    throw new EngifyError({
      code: 'HOSTING_SECRET_TOO_LARGE',
      kind: 'config',
      message: m.secretTooLarge(name, store.kind, store.maxBytes),
      hint: m.secretTooLargeHint,
    });
  const state = await store.describe(name);
  if (!state.exists) {
    ctx.journal.intent(resource);
    await store.create(name, value, { [OWNER_TAG]: ctx.config.project });
    ctx.journal.created(resource);
    return;
  }
  const pending = ctx.journal.pendingIntents().some((r) => r.kind === resource.kind && r.name === name);
  if (!ours && !pending && !amplifyConfig(ctx).adopt)
    throw new EngifyError({
      code: 'HOSTING_SECRET_COLLISION',
      kind: 'config',
      message: m.secretCollision(name, store.kind),
      hint: m.secretCollisionHint,
    });
  if (pending && !ours) ctx.journal.created(resource);
  if ((await store.get(name)) !== value) await store.put(name, value);
}

/** Where each variable goes (plain, secret store, rewritten), as plan showed it; never the values. */
type EnvAction = PlannedAction<'env', { placements: Json }>;

export const hostingEnvStep: Step<EnvAction> = {
  id: 'hosting.env',
  phase: 3,
  component: 'hosting',
  title: 'Env vars rewritten to the new AWS resources; secrets to Secrets Manager / SSM',
  dependsOn: ['hosting.app'],
  enabled: hostingEnabled,

  async plan(ctx) {
    const want = await desired(ctx);
    const a = amplifyConfig(ctx);
    const app = currentAppId(ctx);
    let inStep = false;
    if (app && !want.error) {
      const env = (await (await ops(ctx)).getApp(app))?.environmentVariables ?? {};
      const store = await secretStore(ctx, a.secretStore);
      inStep = Object.entries(want.plain).every(([k, v]) => env[k] === v);
      for (const s of want.secrets) if (inStep) inStep = (await store.get(s.name)) === s.value;
      if (inStep && want.backend)
        inStep =
          (await (await secretStore(ctx, 'secrets-manager')).get(want.backend.name)) === want.backend.value;
    }
    const change: EnvAction = {
      action: inStep ? 'noop' : app ? 'update' : 'create',
      resource: `amplify env ${a.appName}`,
      subject: 'env',
      summary: inStep
        ? 'env vars and secrets in step'
        : `${Object.keys(want.plain).length} env var(s), ${want.secrets.length} secret(s) in ${a.secretStore}${want.backend ? ', 1 backend secret in secrets-manager' : ''}`,
      details: { placements: want.placements },
      ...(want.problems.length ? { warnings: want.problems } : {}),
    };
    return [change];
  },

  async apply(ctx, change) {
    const want = await desired(ctx);
    if (want.error) throw want.error;
    assertAsPlanned(
      this.id,
      change,
      'the variables and where they go',
      change.details.placements,
      want.placements,
    );
    const a = amplifyConfig(ctx);
    const appId = requireAppId(ctx);
    const store = await secretStore(ctx, a.secretStore);
    for (const s of want.secrets) await ensureSecret(ctx, store, s.name, s.value as string);
    if (want.backend)
      await ensureSecret(
        ctx,
        await secretStore(ctx, 'secrets-manager'),
        want.backend.name,
        want.backend.value as string,
      );

    const amplify = await ops(ctx);
    const app = await amplify.getApp(appId);
    if (!app)
      throw new EngifyError({
        code: 'HOSTING_APP_MISSING',
        kind: 'config',
        message: m.appMissing(a.appName),
        hint: m.appMissingHint,
      });
    const current = app.environmentVariables ?? {};
    const mine = new Set(
      ctx.journal
        .createdResources()
        .filter((r) => r.kind === ENV_VAR && r.id === appId)
        .map((r) => r.name),
    );
    for (const r of ctx.journal.pendingIntents()) if (r.kind === ENV_VAR && r.id === appId) mine.add(r.name);
    const next: Record<string, string> = { ...current };
    // A variable we set earlier that is now a secret (or dropped) must not linger as plain text.
    for (const key of mine) if (!(key in want.plain)) delete next[key];
    Object.assign(next, want.plain);
    const added = Object.keys(want.plain).filter((k) => !(k in current) && !mine.has(k));
    const changed =
      JSON.stringify(Object.entries(next).sort()) !== JSON.stringify(Object.entries(current).sort());
    if (changed) {
      for (const key of added) ctx.journal.intent({ kind: ENV_VAR, name: key, id: appId });
      await amplify.updateApp(appId, { environmentVariables: next });
    }
    for (const key of [...added, ...[...mine].filter((k) => k in want.plain)])
      if (!ctx.journal.createdResources().some((r) => r.kind === ENV_VAR && r.name === key && r.id === appId))
        ctx.journal.created({ kind: ENV_VAR, name: key, id: appId });
    for (const key of mine)
      if (!(key in want.plain)) ctx.journal.undone({ resource: { kind: ENV_VAR, name: key, id: appId } });
    ctx.journal.output('plainKeys', Object.keys(want.plain).sort());
    ctx.journal.output(
      'secretNames',
      want.secrets.map((s) => s.name),
    );
    if (want.backend) ctx.journal.output('backendSecret', want.backend.name);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const want = await desired(ctx);
      if (want.error) {
        checks.push({
          name: 'env rewrite',
          expected: 'all values known',
          actual: want.error.message,
          ok: false,
          hint: want.error.hint,
        });
        return checks;
      }
      const a = amplifyConfig(ctx);
      const app = currentAppId(ctx);
      const env = app ? ((await (await ops(ctx)).getApp(app))?.environmentVariables ?? {}) : {};
      for (const [key, value] of Object.entries(want.plain)) {
        const actual = env[key] === undefined ? 'missing' : env[key] === value ? 'matches' : 'differs';
        checks.push({
          name: `env ${key}`,
          expected: 'matches',
          actual,
          ok: actual === 'matches',
          ...(actual === 'matches' ? {} : { hint: m.parityHint(key) }),
        });
      }
      const compare = async (store: SecretStore, key: string, name: string, value: string | undefined) => {
        const got = await store.get(name);
        const actual =
          got === undefined
            ? 'missing'
            : value !== undefined && digest(got) === digest(value)
              ? 'matches'
              : 'differs';
        checks.push({
          name: `secret ${key} (${store.kind})`,
          expected: 'matches',
          actual,
          ok: actual === 'matches',
          ...(actual === 'matches' ? {} : { hint: m.parityHint(key) }),
        });
        // A secret must not also sit in plain text on the app.
        if (env[key] !== undefined)
          checks.push({
            name: `env ${key} not plain`,
            expected: 'absent',
            actual: 'present',
            ok: false,
            hint: m.parityHint(key),
          });
      };
      const store = await secretStore(ctx, a.secretStore);
      for (const s of want.secrets) await compare(store, s.key, s.name, s.value);
      if (want.backend)
        await compare(
          await secretStore(ctx, 'secrets-manager'),
          'backend',
          want.backend.name,
          want.backend.value,
        );
    } catch (error) {
      checks.push(unreadableCheck('env parity', error));
    }
    return checks;
  },

  async rollback(ctx) {
    const stores: Record<string, Promise<SecretStore>> = {};
    const storeFor = (kind: string) => {
      const k = kind === SECRET.ssm ? 'ssm' : 'secrets-manager';
      stores[k] ??= secretStore(ctx, k);
      return stores[k];
    };
    const created = ctx.journal.createdResources();
    for (const r of created.filter((x) => x.kind === SECRET.ssm || x.kind === SECRET['secrets-manager'])) {
      await (await storeFor(r.kind)).delete(r.name);
      ctx.journal.undone({ resource: r });
    }
    const envKeys = [...created, ...ctx.journal.pendingIntents()].filter((r) => r.kind === ENV_VAR);
    const byApp = new Map<string, string[]>();
    for (const r of envKeys) byApp.set(r.id as string, [...(byApp.get(r.id as string) ?? []), r.name]);
    const amplify = await ops(ctx);
    for (const [appId, keys] of byApp) {
      const app = await amplify.getApp(appId);
      if (app) {
        const env = { ...(app.environmentVariables ?? {}) };
        for (const k of keys) delete env[k];
        await amplify.updateApp(appId, { environmentVariables: env });
      }
    }
    for (const r of envKeys) ctx.journal.undone({ resource: r });
    // Secrets whose create was intended but never confirmed: delete only if tagged as ours.
    for (const r of ctx.journal.pendingIntents()) {
      if (r.kind === SECRET['secrets-manager'] || r.kind === SECRET.ssm) {
        const store = await storeFor(r.kind);
        const state = await store.describe(r.name);
        if (state.exists && (state.tagged || store.kind === 'ssm')) await store.delete(r.name);
      }
      ctx.journal.undone({ resource: r });
    }
  },
};
