import type { CreatedResource, Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { type IamOps, iamOps, OWNER_TAG } from '../../providers/iam/roles.js';
import { type SecretStore, secretsManagerStore } from '../../providers/secrets/secret-store.js';
import { unreadableCheck } from '../hosting/hosting-shared.js';
import {
  BASIC_EXECUTION_POLICY,
  backendEnabled,
  desired,
  names,
  ROLE_STEP,
  requirePool,
  SECRETS_POLICY,
  secretArnOutput,
} from './backend-shared.js';

// backend.role: the function's secret (the Render variables that are secrets, as one JSON secret in
// Secrets Manager) and its execution role: trusted by lambda.amazonaws.com only, with the managed
// basic logging policy and an inline policy that reads exactly that secret's ARN. Every validation of
// the move runs before the first write, so a refused move leaves nothing behind.

const ROLE = 'iam-role';
const SECRET = 'secretsmanager-secret';
const m = messages.backend;

export const TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

export const secretsPolicy = (secretArn: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArn }],
});

const iam = async (ctx: StepContext): Promise<IamOps> => iamOps(await ctx.services.iam());
const secrets = async (ctx: StepContext): Promise<SecretStore> =>
  secretsManagerStore(await ctx.services.secretsManager(), ctx.config.project);

const ours = (ctx: StepContext, kind: string, name: string) =>
  ctx.journal.createdResources().some((r) => r.kind === kind && r.name === name);
const pending = (ctx: StepContext, kind: string, name: string) =>
  ctx.journal.pendingIntents().some((r) => r.kind === kind && r.name === name);

/** The function's secret (where each variable goes) and the execution role. */
type RoleAction =
  | PlannedAction<'secret', { kind: 'secret'; placements: Json }>
  | PlannedAction<'role', { kind: 'role'; acknowledged: string[] }>;

export const backendRoleStep: Step<RoleAction> = {
  id: ROLE_STEP,
  phase: 3,
  component: 'backend',
  title: 'Execution role (trusts Lambda; logs; reads only its secret) and the function secret',
  dependsOn: [],
  enabled: backendEnabled,

  async plan(ctx) {
    const want = await desired(ctx);
    const { roleName, secretName } = names(ctx);
    const warnings: string[] = [];
    try {
      requirePool(ctx);
    } catch (error) {
      // Phase 1 may be planned in the same run; apply refuses if it still is not there.
      if (!(error instanceof EngifyError) || !ctx.config.target.cognito) throw error;
      warnings.push(`${error.message} ${error.hint ?? ''}`.trim());
    }
    const caveats = want.caveats.map((c) => m.caveat(c.key, c.where));
    const ops = await iam(ctx);
    const role = await ops.getRole(roleName);
    const changes: RoleAction[] = [];
    const count = Object.keys(want.secret).length;
    if (count > 0) {
      const store = await secrets(ctx);
      const state = await store.describe(secretName);
      const same = state.exists && (await store.get(secretName)) === JSON.stringify(want.secret);
      changes.push({
        action: !state.exists ? 'create' : same ? 'noop' : 'update',
        resource: `secret ${secretName}`,
        summary: !state.exists
          ? `create with ${count} secret variable(s)`
          : same
            ? 'in step'
            : `update ${count} secret variable(s)`,
        subject: 'secret',
        details: { kind: 'secret', placements: want.placements },
      });
    }
    let inStep = !!role;
    if (role) {
      inStep = (await ops.attachedPolicies(roleName)).includes(BASIC_EXECUTION_POLICY);
      const secretArn = secretArnOutput(ctx);
      if (inStep && count > 0)
        inStep =
          !!secretArn &&
          JSON.stringify(await ops.getInlinePolicy(roleName, SECRETS_POLICY)) ===
            JSON.stringify(secretsPolicy(secretArn));
    }
    changes.push({
      action: inStep ? 'noop' : role ? 'update' : 'create',
      resource: `iam role ${roleName}`,
      summary: inStep
        ? 'in step'
        : role
          ? 'attach the logging and secret-read policies'
          : 'create (trust lambda.amazonaws.com; AWSLambdaBasicExecutionRole; read of the function secret)',
      subject: 'role',
      details: { kind: 'role', acknowledged: caveats },
      warnings: [...warnings, ...caveats.map((c) => `acknowledged: ${c}`)],
    });
    return changes;
  },

  async apply(ctx, change) {
    const want = await desired(ctx);
    requirePool(ctx);
    const { roleName, secretName } = names(ctx);
    if (change.subject === 'secret') {
      const store = await secrets(ctx);
      const value = JSON.stringify(want.secret);
      const resource: CreatedResource = { kind: SECRET, name: secretName };
      let state = await store.describe(secretName);
      if (!state.exists) {
        ctx.journal.intent(resource);
        await store.create(secretName, value, { [OWNER_TAG]: ctx.config.project });
        ctx.journal.created(resource);
        state = await store.describe(secretName);
      } else {
        if (!ours(ctx, SECRET, secretName) && !(pending(ctx, SECRET, secretName) && state.tagged))
          throw new EngifyError({
            code: 'BACKEND_SECRET_COLLISION',
            kind: 'config',
            message: m.collision('secret', secretName),
            hint: m.collisionHint('backend.functionName'),
          });
        if (!ours(ctx, SECRET, secretName)) ctx.journal.created(resource);
        if ((await store.get(secretName)) !== value) await store.put(secretName, value);
      }
      if (state.arn && secretArnOutput(ctx) !== state.arn) ctx.journal.output('secretArn', state.arn);
      return;
    }
    const ops = await iam(ctx);
    const resource: CreatedResource = { kind: ROLE, name: roleName };
    let role = await ops.getRole(roleName);
    if (!role) {
      ctx.journal.intent(resource);
      role = await ops.createRole({
        roleName,
        trustPolicy: TRUST_POLICY,
        description: `Lambda execution role for ${names(ctx).functionName} (engify-migrate, project ${ctx.config.project})`,
        tags: { [OWNER_TAG]: ctx.config.project },
      });
      ctx.journal.created({ ...resource, id: role.Arn });
    } else if (!ours(ctx, ROLE, roleName)) {
      const tagged = (role.Tags ?? []).some((t) => t.Key === OWNER_TAG && t.Value === ctx.config.project);
      if (!(pending(ctx, ROLE, roleName) && tagged))
        throw new EngifyError({
          code: 'BACKEND_ROLE_COLLISION',
          kind: 'config',
          message: m.collision('IAM role', roleName),
          hint: m.collisionHint('backend.functionName'),
        });
      ctx.journal.created({ ...resource, id: role.Arn });
    }
    if (!(await ops.attachedPolicies(roleName)).includes(BASIC_EXECUTION_POLICY))
      await ops.attachPolicy(roleName, BASIC_EXECUTION_POLICY);
    let secretArn = secretArnOutput(ctx);
    if (!secretArn && Object.keys(want.secret).length && ours(ctx, SECRET, secretName)) {
      secretArn = (await (await secrets(ctx)).describe(secretName)).arn;
      if (secretArn) ctx.journal.output('secretArn', secretArn);
    }
    if (secretArn && Object.keys(want.secret).length) {
      const doc = secretsPolicy(secretArn);
      if (JSON.stringify(await ops.getInlinePolicy(roleName, SECRETS_POLICY)) !== JSON.stringify(doc))
        await ops.putInlinePolicy(roleName, SECRETS_POLICY, doc);
    }
    if (ctx.journal.outputOf(ROLE_STEP, 'roleArn') !== role.Arn)
      ctx.journal.output('roleArn', role.Arn ?? '');
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const { roleName } = names(ctx);
      const ops = await iam(ctx);
      const role = await ops.getRole(roleName);
      checks.push({
        name: `iam role ${roleName}`,
        expected: 'present',
        actual: role ? 'present' : 'missing',
        ok: !!role,
      });
      if (!role) return checks;
      const trust = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? '{}'));
      checks.push({
        name: 'role trusts lambda.amazonaws.com only',
        expected: TRUST_POLICY,
        actual: trust,
        ok: JSON.stringify(trust) === JSON.stringify(TRUST_POLICY),
      });
      const attached = await ops.attachedPolicies(roleName);
      checks.push({
        name: 'role logging policy',
        expected: BASIC_EXECUTION_POLICY,
        actual: attached,
        ok: attached.includes(BASIC_EXECUTION_POLICY),
      });
      const secretArn = secretArnOutput(ctx);
      if (secretArn) {
        const doc = await ops.getInlinePolicy(roleName, SECRETS_POLICY);
        checks.push({
          name: 'role reads only the function secret',
          expected: secretsPolicy(secretArn),
          actual: (doc ?? null) as never,
          ok: JSON.stringify(doc) === JSON.stringify(secretsPolicy(secretArn)),
        });
      }
    } catch (error) {
      checks.push(unreadableCheck('backend role', error));
    }
    return checks;
  },

  async rollback(ctx) {
    const created = ctx.journal.createdResources();
    for (const r of created.filter((x) => x.kind === ROLE)) {
      await (await iam(ctx)).deleteRole(r.name);
      ctx.journal.undone({ resource: r });
    }
    for (const r of created.filter((x) => x.kind === SECRET)) {
      await (await secrets(ctx)).delete(r.name);
      ctx.journal.undone({ resource: r });
    }
    // Intended but never confirmed (a crash in between): delete only what carries our tag.
    for (const r of ctx.journal.pendingIntents()) {
      if (r.kind === ROLE) {
        const role = await (await iam(ctx)).getRole(r.name);
        if (role?.Tags?.some((t) => t.Key === OWNER_TAG && t.Value === ctx.config.project))
          await (await iam(ctx)).deleteRole(r.name);
      } else if (r.kind === SECRET) {
        const store = await secrets(ctx);
        if ((await store.describe(r.name)).tagged) await store.delete(r.name);
      }
      ctx.journal.undone({ resource: r });
    }
  },

  async verifyRollback(ctx) {
    const { roleName, secretName } = names(ctx);
    const role = await (await iam(ctx)).getRole(roleName).catch(() => undefined);
    const secret = await (await secrets(ctx)).describe(secretName).catch(() => ({ exists: false }));
    return [
      {
        name: `iam role ${roleName} gone`,
        expected: 'absent',
        actual: role ? 'present' : 'absent',
        ok: !role,
      },
      {
        name: `secret ${secretName} gone`,
        expected: 'absent',
        actual: secret.exists ? 'present' : 'absent',
        ok: !secret.exists,
      },
    ];
  },
};
