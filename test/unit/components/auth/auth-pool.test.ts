import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, describe, expect, it } from 'vitest';
import { authPool } from '../../../../src/components/auth/auth-pool.js';
import { ExitCode, exitCodeFor, StalePlanError } from '../../../../src/core/errors.js';
import type { EngineSession } from '../../../../src/engine/session.js';
import { e2eWorkspace } from '../../../helpers/e2e-config.js';
import { openTestSession } from '../../../helpers/session.js';

// auth.pool applies what it planned: the ids plan found travel in the actions, and a pool that
// appeared or vanished between plan and apply stops the step with PLAN_DRIFT (exit 4) instead of a
// second pool or an update of nothing. cognito-local of the shared stack.

const sessions: EngineSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
});

function setup() {
  const ws = e2eWorkspace((c) => {
    c.target.aws.credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    delete c.target.s3;
  });
  const session = openTestSession(ws.config);
  sessions.push(session);
  const cognito = new CognitoIdentityProviderClient({
    region: 'us-east-1',
    endpoint: ws.stack.endpoints.cognito,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const poolsNamed = async (name: string) =>
    ((await cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? []).filter(
      (p) => p.Name === name,
    );
  return { ws, session, cognito, poolsNamed, ctx: session.context(authPool) };
}

describe('auth.pool planned actions', () => {
  it('carries the pool and client ids it found, and a rerun plans nothing', async () => {
    const { ctx, ws, poolsNamed } = setup();
    const first = await authPool.plan(ctx);
    expect(first.map((a) => [a.subject, a.details.kind])).toEqual([
      ['pool', 'create'],
      ['client', 'create'],
    ]);
    for (const a of first) await authPool.apply(ctx, a);
    const [pool] = await poolsNamed(ws.config.target.cognito.userPoolName);
    const again = await authPool.plan(ctx);
    expect(again.map((a) => a.action)).toEqual(['noop', 'noop']);
    expect(again[0]?.details).toEqual({ kind: 'use', poolId: pool?.Id, update: false, adopt: false });
  });

  it('refuses with PLAN_DRIFT (exit 4) when a pool of that name appeared after the plan', async () => {
    const { ctx, ws, cognito, poolsNamed } = setup();
    const [createPool] = await authPool.plan(ctx);
    if (!createPool) throw new Error('no action planned');
    await cognito.send(new CreateUserPoolCommand({ PoolName: ws.config.target.cognito.userPoolName }));
    const error = await authPool.apply(ctx, createPool).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StalePlanError);
    expect((error as StalePlanError).code).toBe('PLAN_DRIFT');
    expect((error as StalePlanError).message).toContain(`user pool ${ws.config.target.cognito.userPoolName}`);
    expect(exitCodeFor(error)).toBe(ExitCode.stalePlan);
    expect(await poolsNamed(ws.config.target.cognito.userPoolName)).toHaveLength(1);
    expect(ctx.journal.createdResources()).toEqual([]);
  });

  it('refuses with PLAN_DRIFT when the pool it planned to use was deleted after the plan', async () => {
    const { ctx, cognito } = setup();
    for (const a of await authPool.plan(ctx)) await authPool.apply(ctx, a);
    const [usePool] = await authPool.plan(ctx);
    if (usePool?.subject !== 'pool' || usePool.details.kind !== 'use')
      throw new Error('expected the pool to be used');
    await cognito.send(new DeleteUserPoolCommand({ UserPoolId: usePool.details.poolId }));
    await expect(authPool.apply(ctx, usePool)).rejects.toMatchObject({ code: 'PLAN_DRIFT' });
  });
});
