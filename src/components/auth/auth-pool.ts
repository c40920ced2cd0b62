import type { CognitoConfig } from '../../config/schema.js';
import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import type { Change, Check, Step, StepContext } from '../../core/step.js';
import {
  poolDiff,
  REQUIRED_AUTH_FLOWS,
  SUPABASE_ID_ATTRIBUTE,
  userPoolAdapter,
} from '../../providers/cognito/user-pool.js';

const POOL = 'cognito-user-pool';
const CLIENT = 'cognito-app-client';

function cognitoConfig(ctx: StepContext): CognitoConfig {
  const c = ctx.config.target.cognito;
  if (!c)
    throw new EngifyError({
      code: 'CONFIG_MISSING',
      kind: 'config',
      message: 'target.cognito is not configured',
    });
  return c;
}

async function adapter(ctx: StepContext) {
  return userPoolAdapter(await ctx.services.cognito());
}

const isOurs = (ctx: StepContext, kind: string, name: string) =>
  [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()].some(
    (r) => r.kind === kind && r.name === name,
  );

export const authPool: Step = {
  id: 'auth.pool',
  phase: 1,
  component: 'auth',
  title: 'Cognito user pool and app client',
  dependsOn: [],
  enabled: (config) => config.target.cognito !== undefined,

  async plan(ctx) {
    const config = cognitoConfig(ctx);
    const pools = await adapter(ctx);
    const pool = await pools.findPool(config.userPoolName);
    const poolRes = `user pool ${config.userPoolName}`;
    const clientRes = `app client ${config.appClientName}`;
    if (!pool) {
      return [
        {
          action: 'create',
          resource: poolRes,
          subject: 'pool',
          summary: `create pool (email username, case-insensitive, custom:${SUPABASE_ID_ATTRIBUTE}, min password ${config.passwordPolicy.minimumLength})`,
        },
        {
          action: 'create',
          resource: clientRes,
          subject: 'client',
          summary: `create client allowing ${REQUIRED_AUTH_FLOWS.join(', ')}`,
        },
      ];
    }
    const changes: Change[] = [];
    const diff = poolDiff(pool, config);
    if (diff.immutable.length > 0) {
      throw new EngifyError({
        code: 'COGNITO_POOL_INCOMPATIBLE',
        kind: 'config',
        message: `An existing user pool named ${config.userPoolName} (${pool.id}) cannot be used: ${diff.immutable.join('; ')}.`,
        hint: 'These settings cannot be changed after a pool is created: pick another target.cognito.userPoolName.',
      });
    }
    const recorded = ctx.journal.outputOf('auth.pool', 'userPoolId') === pool.id;
    if (diff.mutable.length > 0) {
      changes.push({
        action: 'update',
        resource: poolRes,
        subject: 'pool',
        summary: diff.mutable.join('; '),
      });
    } else if (!recorded) {
      changes.push({
        action: 'update',
        resource: poolRes,
        subject: 'pool',
        summary: isOurs(ctx, POOL, config.userPoolName)
          ? 'adopt the pool an interrupted run created'
          : 'use the existing pool (not created by this tool: rollback keeps it)',
      });
    } else
      changes.push({
        action: 'noop',
        resource: poolRes,
        subject: 'pool',
        summary: 'exists with the configured settings',
      });

    const client = await pools.findClient(pool.id, config.appClientName);
    if (!client) {
      changes.push({
        action: 'create',
        resource: clientRes,
        subject: 'client',
        summary: `create client allowing ${REQUIRED_AUTH_FLOWS.join(', ')}`,
      });
    } else {
      const missing = REQUIRED_AUTH_FLOWS.filter((f) => !client.authFlows.includes(f));
      const clientRecorded = ctx.journal.outputOf('auth.pool', 'appClientId') === client.id;
      if (missing.length > 0)
        changes.push({
          action: 'update',
          resource: clientRes,
          subject: 'client',
          summary: `allow ${missing.join(', ')}`,
        });
      else if (!clientRecorded)
        changes.push({
          action: 'update',
          resource: clientRes,
          subject: 'client',
          summary: 'use the existing client',
        });
      else
        changes.push({
          action: 'noop',
          resource: clientRes,
          subject: 'client',
          summary: 'exists with the required auth flows',
        });
    }
    return changes;
  },

  async apply(ctx, change) {
    const config = cognitoConfig(ctx);
    const pools = await adapter(ctx);
    if (change.subject === 'pool') {
      let pool = await pools.findPool(config.userPoolName);
      if (!pool) {
        const resource: CreatedResource = { kind: POOL, name: config.userPoolName };
        ctx.journal.intent(resource);
        const id = await pools.createPool(config, ctx.config.project);
        ctx.journal.created({ ...resource, id });
        pool = await pools.describePool(id);
      } else {
        if (
          isOurs(ctx, POOL, config.userPoolName) &&
          !ctx.journal.createdResources().some((r) => r.kind === POOL)
        ) {
          ctx.journal.created({ kind: POOL, name: config.userPoolName, id: pool.id });
        }
        if (poolDiff(pool, config).mutable.length > 0) await pools.updatePasswordPolicy(pool.id, config);
      }
      if (!pool) throw new Error('the user pool vanished right after it was created');
      ctx.journal.output('userPoolId', pool.id);
      ctx.journal.output('region', ctx.config.target.aws.region);
      return;
    }
    const poolId = ctx.journal.outputOf('auth.pool', 'userPoolId');
    if (typeof poolId !== 'string') throw new Error('the user pool must be created before its app client');
    let client = await pools.findClient(poolId, config.appClientName);
    if (!client) {
      const resource: CreatedResource = { kind: CLIENT, name: config.appClientName };
      ctx.journal.intent(resource);
      const id = await pools.createClient(poolId, config.appClientName);
      ctx.journal.created({ ...resource, id });
      client = { id, name: config.appClientName, authFlows: [...REQUIRED_AUTH_FLOWS] };
    } else {
      if (
        isOurs(ctx, CLIENT, config.appClientName) &&
        !ctx.journal.createdResources().some((r) => r.kind === CLIENT)
      ) {
        ctx.journal.created({ kind: CLIENT, name: config.appClientName, id: client.id });
      }
      if (REQUIRED_AUTH_FLOWS.some((f) => !client?.authFlows.includes(f))) {
        await pools.updateClientFlows(poolId, client.id, client.authFlows);
      }
    }
    ctx.journal.output('appClientId', client.id);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const config = cognitoConfig(ctx);
      const pools = await adapter(ctx);
      const pool = await pools.findPool(config.userPoolName);
      checks.push({
        name: `user pool ${config.userPoolName} exists`,
        expected: true,
        actual: pool !== undefined,
        ok: pool !== undefined,
      });
      if (!pool) return checks;
      const diff = poolDiff(pool, config);
      const problems = [...diff.immutable, ...diff.mutable];
      checks.push({
        name: 'pool settings match the config',
        expected: [],
        actual: problems,
        ok: problems.length === 0,
        hint: problems.length
          ? 'Run `engify-migrate apply --phase 1` to update what can be updated.'
          : undefined,
      });
      const client = await pools.findClient(pool.id, config.appClientName);
      checks.push({
        name: `app client ${config.appClientName} exists`,
        expected: true,
        actual: client !== undefined,
        ok: client !== undefined,
      });
      if (client) {
        const missing = REQUIRED_AUTH_FLOWS.filter((f) => !client.authFlows.includes(f));
        checks.push({
          name: 'app client auth flows',
          expected: [...REQUIRED_AUTH_FLOWS],
          actual: client.authFlows,
          ok: missing.length === 0,
        });
      }
    } catch (error) {
      checks.push({
        name: 'cognito reachable',
        expected: 'answers',
        actual: error instanceof Error ? error.message : String(error),
        ok: false,
      });
    }
    return checks;
  },

  async rollback(ctx) {
    const pools = await adapter(ctx);
    const created = ctx.journal.createdResources();
    const poolId =
      created.find((r) => r.kind === POOL)?.id ?? ctx.journal.outputOf('auth.pool', 'userPoolId');
    // Client before pool: the reverse of creation.
    for (const r of [...created].reverse()) {
      if (r.kind === CLIENT && r.id && typeof poolId === 'string') await pools.deleteClient(poolId, r.id);
      if (r.kind === POOL && r.id) await pools.deletePool(r.id);
      ctx.journal.undone({ resource: r });
    }
  },

  async verifyRollback(ctx) {
    const pools = await adapter(ctx);
    const checks: Check[] = [];
    const undone = ctx.journal
      .records()
      .filter((r) => r.type === 'undone' && r.resource?.kind === POOL)
      .map((r) => (r.type === 'undone' ? r.resource : undefined));
    for (const r of undone) {
      if (!r?.id) continue;
      const still = await pools.describePool(r.id);
      checks.push({
        name: `user pool ${r.name} (${r.id}) deleted`,
        expected: 'absent',
        actual: still ? 'present' : 'absent',
        ok: !still,
      });
    }
    return checks;
  },
};
