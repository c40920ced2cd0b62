import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authForwardPass, authReversePass } from '../../../src/components/auth/auth-passes.js';
import { authUsersStep } from '../../../src/components/auth/auth-users.js';
import { type AuthWorld, scenario, startAuthWorld } from '../auth/auth-harness.js';

// The auth sync passes against cognito-local and a real PostgreSQL 15 source (test/fixtures/auth-fixture.sql),
// after the real auth.users copy. The pool is made as auth.pool makes it: custom:supabase_id immutable.

let world: AuthWorld;
beforeAll(async () => {
  world = await startAuthWorld();
}, 60_000);
afterAll(async () => {
  await world?.stop();
});

const ALICE = '00000000-0000-4000-8000-000000000001';
const DAVE = '00000000-0000-4000-8000-000000000005';
const HANK = '00000000-0000-4000-8000-00000000000b';
const IVY = '00000000-0000-4000-8000-0000000000a1';
const PASSWORD_REASON = /Cognito never exposes password hashes/;

async function cognitoUser(poolId: string, username: string) {
  const out = await world.cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }));
  return {
    enabled: out.Enabled !== false,
    attrs: Object.fromEntries((out.UserAttributes ?? []).map((a) => [a.Name ?? '', a.Value ?? ''])),
  };
}

describe('auth sync passes', () => {
  it('forward carries source changes, reverse carries Cognito changes back, neither echoes', async () => {
    const sc = await scenario(world, { passwords: 'reset' });
    const source = await import('pg').then(
      (pg) => new pg.default.Client({ connectionString: world.sourceUrl }),
    );
    await source.connect();
    try {
      // The pool as auth.pool creates it (Mutable false), in place of the harness's mutable one.
      const pool = await world.cognito.send(
        new CreateUserPoolCommand({
          PoolName: `sync-${Date.now()}`,
          UsernameAttributes: ['email'],
          UsernameConfiguration: { CaseSensitive: false },
          Schema: [
            {
              Name: 'supabase_id',
              AttributeDataType: 'String',
              Mutable: false,
              StringAttributeConstraints: { MinLength: '1', MaxLength: '64' },
            },
          ],
        }),
      );
      const poolId = pool.UserPool?.Id ?? '';
      sc.session.context({ id: 'auth.pool' }).journal.output('userPoolId', poolId);

      const copyCtx = sc.session.context(authUsersStep);
      const [change] = await authUsersStep.plan(copyCtx);
      await authUsersStep.apply(copyCtx, change!);

      const ctx = sc.session.context({ id: 'sync.auth' });

      // Equal sides: nothing applied; the users the copy reported are listed once, not on every poll.
      const first = await authForwardPass(ctx);
      expect(first).toMatchObject({ applied: 0, deleted: 0, unchanged: 8 });
      expect(first.refused.map((r) => r.key).sort()).toEqual([
        '00000000-0000-4000-8000-000000000003',
        '00000000-0000-4000-8000-000000000004',
        '00000000-0000-4000-8000-00000000000a',
      ]);
      const again = await authForwardPass(ctx);
      expect(again).toMatchObject({ applied: 0, deleted: 0, refused: [] });

      // Source changes: a renamed user, a new user, a soft-deleted and a hard-deleted one.
      await source.query(
        `UPDATE auth.users SET raw_user_meta_data = raw_user_meta_data || '{"full_name":"Alice Renamed"}' WHERE id = $1`,
        [ALICE],
      );
      await source.query(
        `INSERT INTO auth.users (id, email, email_confirmed_at, raw_user_meta_data, raw_app_meta_data)
         VALUES ($1, 'ivy@example.com', now(), '{"full_name":"Ivy I"}', '{}')`,
        [IVY],
      );
      await source.query(`UPDATE auth.users SET deleted_at = now() WHERE id = $1`, [DAVE]);
      await source.query(`DELETE FROM auth.users WHERE id = $1`, [HANK]);
      const forward = await authForwardPass(ctx);
      expect(forward).toMatchObject({ applied: 2, deleted: 2, refused: [] });
      expect((await cognitoUser(poolId, 'alice@example.com')).attrs.name).toBe('Alice Renamed');
      const ivy = await cognitoUser(poolId, 'ivy@example.com');
      expect(ivy.attrs).toMatchObject({ name: 'Ivy I', 'custom:supabase_id': IVY, email_verified: 'true' });
      // Deleted on the source: disabled in Cognito, never deleted.
      expect((await cognitoUser(poolId, 'dave@example.com')).enabled).toBe(false);
      expect((await cognitoUser(poolId, 'hank@example.com')).enabled).toBe(false);
      const map = await sc.target.query(`SELECT status FROM engify.auth_id_map WHERE supabase_id = $1`, [
        IVY,
      ]);
      expect(map.rows[0]?.status).toBe('migrated');
      expect(await authForwardPass(ctx)).toMatchObject({ applied: 0, deleted: 0, refused: [] });

      // Cutover: the app now writes to Cognito. A sign-up and a profile change there.
      await world.cognito.send(
        new AdminCreateUserCommand({
          UserPoolId: poolId,
          Username: 'zoe@example.com',
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: 'zoe@example.com' },
            { Name: 'email_verified', Value: 'true' },
            { Name: 'name', Value: 'Zoe Z' },
          ],
        }),
      );
      await world.cognito.send(
        new AdminUpdateUserAttributesCommand({
          UserPoolId: poolId,
          Username: 'alice@example.com',
          UserAttributes: [
            { Name: 'name', Value: 'Alice From Cognito' },
            { Name: 'phone_number', Value: '+15559876543' },
          ],
        }),
      );
      const reverse = await authReversePass(ctx);
      expect(reverse).toMatchObject({ applied: 2, deleted: 0 });
      const zoeRow = await source.query(
        `SELECT id::text, raw_user_meta_data, email_confirmed_at, encrypted_password FROM auth.users WHERE email = 'zoe@example.com'`,
      );
      expect(zoeRow.rows).toHaveLength(1);
      const zoeId = zoeRow.rows[0].id as string;
      expect(zoeRow.rows[0].raw_user_meta_data).toEqual({ full_name: 'Zoe Z' });
      expect(zoeRow.rows[0].email_confirmed_at).not.toBeNull();
      expect(zoeRow.rows[0].encrypted_password).toBeNull();
      expect(reverse.refused).toEqual([{ key: zoeId, reason: expect.stringMatching(PASSWORD_REASON) }]);
      const identity = await source.query(`SELECT provider FROM auth.identities WHERE user_id = $1`, [zoeId]);
      expect(identity.rows).toEqual([{ provider: 'email' }]);
      // custom:supabase_id is immutable in this pool: the mapping lives in the id map only.
      expect((await cognitoUser(poolId, 'zoe@example.com')).attrs['custom:supabase_id']).toBeUndefined();
      const zoeMap = await sc.target.query(
        `SELECT status, strategy, created_by_tool, cognito_username FROM engify.auth_id_map WHERE supabase_id = $1`,
        [zoeId],
      );
      expect(zoeMap.rows[0]).toMatchObject({
        status: 'migrated',
        strategy: 'reverse',
        created_by_tool: false,
      });
      const alice = await source.query(
        `SELECT email, phone, raw_user_meta_data->>'full_name' AS name FROM auth.users WHERE id = $1`,
        [ALICE],
      );
      // The email keeps its source spelling: only what changed in Cognito is written.
      expect(alice.rows[0]).toEqual({
        email: 'Alice@Example.com',
        phone: '15559876543',
        name: 'Alice From Cognito',
      });
      // Users deleted on the source stay deleted: the disabled Cognito users are not carried back.
      const hank = await source.query(`SELECT 1 FROM auth.users WHERE id = $1`, [HANK]);
      expect(hank.rows).toHaveLength(0);

      // A rerun applies nothing, and the password note is not repeated.
      expect(await authReversePass(ctx)).toMatchObject({ applied: 0, deleted: 0, refused: [] });
      // Rollback resumes forward sync: what reverse wrote is not echoed back into Cognito.
      expect(await authForwardPass(ctx)).toMatchObject({ applied: 0, deleted: 0, refused: [] });
      expect((await cognitoUser(poolId, 'alice@example.com')).attrs.name).toBe('Alice From Cognito');
    } finally {
      await source.end();
      await sc.close();
    }
  }, 90_000);

  it('sets custom:supabase_id on users created in Cognito where the pool allows it (mutable attribute)', async () => {
    const sc = await scenario(world, { passwords: 'reset' });
    try {
      const copyCtx = sc.session.context(authUsersStep);
      const [change] = await authUsersStep.plan(copyCtx);
      await authUsersStep.apply(copyCtx, change!);
      const ctx = sc.session.context({ id: 'sync.auth' });
      await world.cognito.send(
        new AdminCreateUserCommand({
          UserPoolId: sc.poolId,
          Username: 'yan@example.com',
          MessageAction: 'SUPPRESS',
          UserAttributes: [{ Name: 'email', Value: 'yan@example.com' }],
        }),
      );
      const reverse = await authReversePass(ctx);
      expect(reverse.applied).toBe(1);
      const id = (
        await sc.target.query(
          `SELECT supabase_id::text AS id FROM engify.auth_id_map WHERE email = 'yan@example.com'`,
        )
      ).rows[0]?.id;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await cognitoUser(sc.poolId, 'yan@example.com')).attrs['custom:supabase_id']).toBe(id);
      expect(await authReversePass(ctx)).toMatchObject({ applied: 0, refused: [] });
      expect(await authForwardPass(ctx)).toMatchObject({ applied: 0, deleted: 0 });
    } finally {
      await sc.close();
    }
  }, 60_000);
});
