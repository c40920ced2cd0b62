import type { CognitoConfig } from '../../config/schema.js';
import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
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

/**
 * What plan decided, which apply carries out without deciding again: `create` (none was there), or
 * `use` an existing pool/client by the id plan found (updating what the diff listed, adopting it into
 * the journal when an interrupted run of ours created it).
 */
type PoolAction =
  | PlannedAction<
      'pool',
      { kind: 'create' } | { kind: 'use'; poolId: string; update: boolean; adopt: boolean }
    >
  | PlannedAction<
      'client',
      { kind: 'create' } | { kind: 'use'; clientId: string; missingFlows: string[]; adopt: boolean }
    >;

export const authPool: Step<PoolAction> = {
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
    const createClient: PoolAction = {
      action: 'create',
      resource: clientRes,
      subject: 'client',
      summary: `create client allowing ${REQUIRED_AUTH_FLOWS.join(', ')}`,
      details: { kind: 'create' },
    };
    if (!pool) {
      return [
        {
          action: 'create',
          resource: poolRes,
          subject: 'pool',
          summary: `create pool (email username, case-insensitive, custom:${SUPABASE_ID_ATTRIBUTE}, min password ${config.passwordPolicy.minimumLength})`,
          details: { kind: 'create' },
        },
        createClient,
      ];
    }
    const changes: PoolAction[] = [];
    const diff = poolDiff(pool, config);
    if (diff.immutable.length > 0) {
      throw new EngifyError({
        code: 'COGNITO_POOL_INCOMPATIBLE',
        kind: 'config',
        message: messages.auth.poolIncompatible(config.userPoolName, pool.id, diff.immutable),
        hint: messages.auth.poolIncompatibleHint,
      });
    }
    const recorded = ctx.journal.outputOf('auth.pool', 'userPoolId') === pool.id;
    const adopt =
      isOurs(ctx, POOL, config.userPoolName) && !ctx.journal.createdResources().some((r) => r.kind === POOL);
    const use = { kind: 'use' as const, poolId: pool.id, update: diff.mutable.length > 0, adopt };
    if (diff.mutable.length > 0) {
      changes.push({
        action: 'update',
        resource: poolRes,
        subject: 'pool',
        summary: diff.mutable.join('; '),
        details: use,
      });
    } else if (!recorded) {
      changes.push({
        action: 'update',
        resource: poolRes,
        subject: 'pool',
        summary: isOurs(ctx, POOL, config.userPoolName)
          ? 'adopt the pool an interrupted run created'
          : 'use the existing pool (not created by this tool: rollback keeps it)',
        details: use,
      });
    } else
      changes.push({
        action: 'noop',
        resource: poolRes,
        subject: 'pool',
        summary: 'exists with the configured settings',
        details: use,
      });

    const client = await pools.findClient(pool.id, config.appClientName);
    if (!client) {
      changes.push(createClient);
    } else {
      const missing = REQUIRED_AUTH_FLOWS.filter((f) => !client.authFlows.includes(f));
      const clientRecorded = ctx.journal.outputOf('auth.pool', 'appClientId') === client.id;
      const details = {
        kind: 'use' as const,
        clientId: client.id,
        missingFlows: missing,
        adopt:
          isOurs(ctx, CLIENT, config.appClientName) &&
          !ctx.journal.createdResources().some((r) => r.kind === CLIENT),
      };
      if (missing.length > 0)
        changes.push({
          action: 'update',
          resource: clientRes,
          subject: 'client',
          summary: `allow ${missing.join(', ')}`,
          details,
        });
      else if (!clientRecorded)
        changes.push({
          action: 'update',
          resource: clientRes,
          subject: 'client',
          summary: 'use the existing client',
          details,
        });
      else
        changes.push({
          action: 'noop',
          resource: clientRes,
          subject: 'client',
          summary: 'exists with the required auth flows',
          details,
        });
    }
    return changes;
  },

  async apply(ctx, change) {
    const config = cognitoConfig(ctx);
    const pools = await adapter(ctx);
    if (change.subject === 'pool') {
      const planned = change.details;
      let poolId: string;
      if (planned.kind === 'create') {
        // A pool of that name that appeared since the plan is someone else's (ours would be journaled).
        const appeared = await pools.findPool(config.userPoolName);
        if (appeared && !isOurs(ctx, POOL, config.userPoolName))
          throw planDrift(this.id, change.resource, 'no such pool', `pool ${appeared.id}`);
        if (appeared) poolId = appeared.id;
        else {
          const resource: CreatedResource = { kind: POOL, name: config.userPoolName };
          ctx.journal.intent(resource);
          poolId = await pools.createPool(config, ctx.config.project);
          ctx.journal.created({ ...resource, id: poolId });
        }
      } else {
        poolId = planned.poolId;
        if (!(await pools.describePool(poolId)))
          throw planDrift(this.id, change.resource, `pool ${poolId}`, 'no such pool');
        if (planned.adopt) ctx.journal.created({ kind: POOL, name: config.userPoolName, id: poolId });
        if (planned.update) await pools.updatePasswordPolicy(poolId, config);
      }
      ctx.journal.output('userPoolId', poolId);
      ctx.journal.output('region', ctx.config.target.aws.region);
      return;
    }
    const poolId = ctx.journal.outputOf('auth.pool', 'userPoolId');
    if (typeof poolId !== 'string') throw new Error('the user pool must be created before its app client');
    const planned = change.details;
    let clientId: string;
    if (planned.kind === 'create') {
      const appeared = await pools.findClient(poolId, config.appClientName);
      if (appeared && !isOurs(ctx, CLIENT, config.appClientName))
        throw planDrift(this.id, change.resource, 'no such client', `client ${appeared.id}`);
      if (appeared) clientId = appeared.id;
      else {
        const resource: CreatedResource = { kind: CLIENT, name: config.appClientName };
        ctx.journal.intent(resource);
        clientId = await pools.createClient(poolId, config.appClientName);
        ctx.journal.created({ ...resource, id: clientId });
      }
    } else {
      clientId = planned.clientId;
      const found = await pools.findClient(poolId, config.appClientName);
      if (found?.id !== clientId)
        throw planDrift(
          this.id,
          change.resource,
          `client ${clientId}`,
          found ? `client ${found.id}` : 'no such client',
        );
      if (planned.adopt) ctx.journal.created({ kind: CLIENT, name: config.appClientName, id: clientId });
      if (planned.missingFlows.length > 0) await pools.updateClientFlows(poolId, clientId, found.authFlows);
    }
    ctx.journal.output('appClientId', clientId);
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
