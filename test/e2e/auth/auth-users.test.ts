import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  CreateIdentityProviderCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  InitiateAuthCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPool } from '../../../src/components/auth/auth-pool.js';
import { authUsersStep } from '../../../src/components/auth/auth-users.js';
import type { Check } from '../../../src/core/step.js';
import { HASH_COLUMN } from '../../../src/sandbox/cognito-import-jobs.js';
import {
  ALICE,
  ALICE_ATTRIBUTES,
  type AuthWorld,
  expectRerunNoopThenRollback,
  listPoolUsers,
  MIGRATED,
  poolUser,
  scenario,
  startAuthWorld,
} from './auth-harness.js';

// End to end against cognito-local (through the import-job front) and a real PostgreSQL 15 source.
// Fixture: 11 source users -> 6 migrated (alice, bob, dave, erin, gina, hank), 2 skipped (soft-deleted,
// anonymous), 3 reported (two case-only twins, one phone-only).

let world: AuthWorld;
beforeAll(async () => {
  world = await startAuthWorld();
}, 60_000);
afterAll(async () => {
  await world?.stop();
});

async function signIn(clientId: string, email: string, password: string): Promise<string> {
  try {
    const out = await world.cognito.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    return out.AuthenticationResult?.IdToken ? 'tokens' : (out.ChallengeName ?? 'none');
  } catch (error) {
    return (error as Error).name;
  }
}

const poolUsers = (poolId: string) => listPoolUsers(world, poolId);

const failing = (checks: Check[]) => checks.filter((c) => !c.ok && !c.skipped);

describe('auth.users, reset strategy', () => {
  it('plans, applies, verifies, reruns idempotently and rolls back', async () => {
    const sc = await scenario(world, { passwords: 'reset' });
    try {
      const ctx = sc.session.context(authUsersStep);
      const [change] = await authUsersStep.plan(ctx);
      const details = change?.details as { counts: Record<string, number> };
      expect(details.counts['to-create']).toBe(MIGRATED);
      expect(details.counts['skip:soft-deleted']).toBe(1);
      expect(details.counts['skip:anonymous']).toBe(1);
      expect(details.counts['report:email-collision']).toBe(2);
      expect(details.counts['report:no-email']).toBe(1);
      expect(details.counts['issue:invalid-phone']).toBe(1);
      expect(details.counts['issue:attribute-too-long']).toBe(1);
      expect(details.counts['issue:non-bcrypt-hash']).toBe(1);
      expect(change?.warnings?.some((w) => w.includes('GitHub') || w.includes('github'))).toBe(true);

      await authUsersStep.apply(ctx, change!);
      const users = await poolUsers(sc.poolId);
      expect(users).toHaveLength(MIGRATED);
      const alice = await poolUser(world, sc.poolId, 'alice@example.com');
      expect(alice.attributes).toMatchObject(ALICE_ATTRIBUTES);
      expect(alice.UserStatus).toBe('CONFIRMED');
      expect((await poolUser(world, sc.poolId, 'bob@example.com')).Enabled).toBe(false);
      const hank = await world.cognito.send(
        new AdminGetUserCommand({ UserPoolId: sc.poolId, Username: 'hank@example.com' }),
      );
      expect(hank.UserAttributes?.some((a) => a.Name === 'name')).toBe(false);
      // No password survives a reset: alice's old password does not sign in.
      expect(await signIn(sc.clientId, 'alice@example.com', 'alice-pass-1')).not.toBe('tokens');

      const map = await sc.target.query(
        'SELECT supabase_id::text, cognito_username, created_by_tool, status FROM engify.auth_id_map ORDER BY 1',
      );
      expect(map.rows).toHaveLength(MIGRATED);
      expect(
        map.rows.every((r) => r.status === 'migrated' && r.created_by_tool === true && r.cognito_username),
      ).toBe(true);

      const checks = await authUsersStep.verify(ctx);
      expect(failing(checks)).toEqual([]);
      expect(checks.find((c) => c.name.includes('sign-in'))?.skipped).toBe(true);

      // A rerun of the whole step (journal reset aside) creates nothing new.
      await expectRerunNoopThenRollback(world, sc, change!);
    } finally {
      await sc.close();
    }
  }, 60_000);
});

describe('auth.users, import-hashes strategy', () => {
  it('imports bcrypt hashes through an import job; users sign in with their old password; OAuth linked', async () => {
    const sc = await scenario(world, {
      passwords: 'import-hashes',
      providers: { github: 'GitHub', google: 'Google' },
      importJob: {
        cloudWatchLogsRoleArn: 'arn:aws:iam::000000000000:role/cognito-import',
        pollSeconds: 0.05,
      },
      verifySignIn: [{ email: 'Alice@Example.com', password: 'alice-pass-1' }],
    });
    try {
      await world.cognito.send(
        new CreateIdentityProviderCommand({
          UserPoolId: sc.poolId,
          ProviderName: 'GitHub',
          ProviderType: 'OIDC',
          ProviderDetails: {},
        }),
      );
      const ctx = sc.session.context(authUsersStep);
      const [change] = await authUsersStep.plan(ctx);
      expect(
        (change?.details as { needProvider?: Record<string, number> } | undefined)?.needProvider,
      ).toEqual({
        Google: 1,
      });
      // The hash column's name is not confirmed by AWS documentation: plan shows the header it will use.
      const header = (await world.cognito.send(new GetCSVHeaderCommand({ UserPoolId: sc.poolId }))).CSVHeader;
      expect((change?.details as { csvHeader?: string[] } | undefined)?.csvHeader).toEqual(header);
      expect(
        change?.warnings?.some(
          (w) => w.includes(header?.join(', ') ?? '?') && w.includes(`"${HASH_COLUMN}"`),
        ),
      ).toBe(true);
      await authUsersStep.apply(ctx, change!);

      expect(world.front.uploads.at(-1)?.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      const job = world.front.requests.find(
        (r) => r.target === 'CreateUserImportJob' && r.body.UserPoolId === sc.poolId,
      );
      expect(job?.body.PasswordHashingAlgorithm).toBe('BCRYPT');
      expect(await poolUsers(sc.poolId)).toHaveLength(MIGRATED);
      // bcrypt users keep their password; a wrong one is refused; the non-bcrypt user fell back to a reset.
      expect(await signIn(sc.clientId, 'dave@example.com', 'wrong-password')).toBe('NotAuthorizedException');
      expect(await signIn(sc.clientId, 'dave@example.com', 'dave-pass-4')).toBe('tokens');
      expect(await signIn(sc.clientId, 'dave@example.com', 'dave-pass-4')).toBe('tokens');
      const counts = ctx.journal.outputOf('auth.users', 'counts') as Record<string, number>;
      expect(counts['import:imported']).toBe(4); // alice, bob (then disabled), dave, hank
      expect(world.front.links.filter((l) => l.poolId === sc.poolId)).toEqual([
        expect.objectContaining({ provider: 'GitHub', providerUserId: '9001' }),
      ]);
      expect((await poolUser(world, sc.poolId, 'bob@example.com')).Enabled).toBe(false);

      const checks = await authUsersStep.verify(ctx);
      expect(failing(checks)).toEqual([]);
      expect(checks.find((c) => c.name === 'auth.users: sign-in alice@example.com')?.ok).toBe(true);
      expect(readdirCsvLeft(sc.stateDir)).toEqual([]);

      await authUsersStep.rollback!(ctx);
      expect(await poolUsers(sc.poolId)).toHaveLength(0);
    } finally {
      await sc.close();
    }
  }, 60_000);
});

describe('auth.users, lazy strategy', () => {
  it('keeps hashes in the target database; the generated Lambda migrates a user at first sign-in', async () => {
    const sc = await scenario(world, {
      passwords: 'lazy',
      verifySignIn: [{ email: 'alice@example.com', password: 'alice-pass-1' }],
    });
    try {
      const ctx = sc.session.context(authUsersStep);
      const [change] = await authUsersStep.plan(ctx);
      expect(change?.warnings?.some((w) => w.includes('USER_PASSWORD_AUTH'))).toBe(true);
      await authUsersStep.apply(ctx, change!);
      expect(existsSync(join(sc.stateDir, 'auth', 'user-migration-lambda', 'index.mjs'))).toBe(true);
      const legacy = await sc.target.query(
        'SELECT email, attributes FROM engify.auth_legacy_hashes ORDER BY email',
      );
      expect(legacy.rows.map((r) => r.email)).toEqual([
        'alice@example.com',
        'bob@example.com',
        'dave@example.com',
        'hank@example.com',
      ]);
      // Only users who cannot keep a password (gina: OAuth only; erin: argon2) exist up front.
      expect((await poolUsers(sc.poolId)).length).toBe(2);
      expect(await signIn(sc.clientId, 'alice@example.com', 'wrong')).not.toBe('tokens');
      expect(await signIn(sc.clientId, 'bob@example.com', 'bob-pass-2')).not.toBe('tokens'); // banned
      const checks = await authUsersStep.verify(ctx);
      expect(failing(checks)).toEqual([]);
      expect(checks.find((c) => c.name === 'auth.users: sign-in alice@example.com')?.ok).toBe(true);
      expect(
        world.lambda.invocations.some((i) => i.triggerSource === 'UserMigration_Authentication' && i.ok),
      ).toBe(true);
      const alice = await world.cognito.send(
        new AdminGetUserCommand({ UserPoolId: sc.poolId, Username: 'alice@example.com' }),
      );
      expect(alice.UserAttributes?.find((a) => a.Name === 'custom:supabase_id')?.Value).toBe(ALICE);
      expect(JSON.stringify(legacy.rows)).not.toContain('$2b$'); // hashes are in their own column, not the attributes

      await authUsersStep.rollback!(ctx);
      expect(await poolUsers(sc.poolId)).toHaveLength(0);
    } finally {
      await sc.close();
    }
  }, 60_000);
});

describe('auth.pool after auth.users attached the migration trigger', () => {
  it('a password-policy update keeps the UserMigration trigger and every other pool setting', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:engify-test-user-migration';
    const sc = await scenario(world, { passwords: 'lazy', lambda: { functionArn: arn } });
    try {
      // Settings a team has on its pool that the tool does not manage: none may be lost.
      const kept = {
        AutoVerifiedAttributes: ['email' as const],
        MfaConfiguration: 'OPTIONAL' as const,
        EmailConfiguration: {
          EmailSendingAccount: 'DEVELOPER' as const,
          SourceArn: 'arn:aws:ses:us-east-1:000000000000:identity/no-reply@example.com',
          ReplyToEmailAddress: 'help@example.com',
        },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email' as const, Priority: 1 }] },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true },
        VerificationMessageTemplate: {
          DefaultEmailOption: 'CONFIRM_WITH_CODE' as const,
          EmailSubject: 'Your code',
          EmailMessage: 'Your code is {####}',
        },
        SmsAuthenticationMessage: 'Your sign-in code is {####}',
        UserPoolTags: { team: 'identity' },
      };
      await world.cognito.send(
        new UpdateUserPoolCommand({
          UserPoolId: sc.poolId,
          Policies: {
            PasswordPolicy: {
              MinimumLength: 8,
              RequireUppercase: false,
              RequireLowercase: false,
              RequireNumbers: false,
              RequireSymbols: false,
              TemporaryPasswordValidityDays: 3,
            },
          },
          ...kept,
        }),
      );
      const describe = async () =>
        (await world.cognito.send(new DescribeUserPoolCommand({ UserPoolId: sc.poolId }))).UserPool;

      const usersCtx = sc.session.context(authUsersStep);
      const [users] = await authUsersStep.plan(usersCtx);
      await authUsersStep.apply(usersCtx, users!);
      expect((await describe())?.LambdaConfig?.UserMigration).toBe(arn);

      // The team tightens the password policy in the config, then applies phase 1 again.
      const target = sc.config.target as { cognito: Record<string, unknown> };
      target.cognito.passwordPolicy = {
        minimumLength: 12,
        requireUppercase: true,
        requireLowercase: true,
        requireNumbers: true,
        requireSymbols: false,
      };
      const poolCtx = sc.reopen().context(authPool);
      const changes = await authPool.plan(poolCtx);
      const update = changes.find((c) => c.action === 'update' && c.summary.includes('minimumLength'));
      expect(update).toBeDefined();
      await authPool.apply(poolCtx, update!);

      const after = await describe();
      expect(after?.LambdaConfig?.UserMigration).toBe(arn);
      expect(after).toMatchObject(kept);
      expect(after?.Policies?.PasswordPolicy).toMatchObject({
        MinimumLength: 12,
        RequireUppercase: true,
        RequireLowercase: true,
        RequireNumbers: true,
        RequireSymbols: false,
        TemporaryPasswordValidityDays: 3,
      });
      // Nothing left to change: the plan is a noop for the pool.
      const again = await authPool.plan(sc.reopen().context(authPool));
      expect(again.find((c) => c.resource.startsWith('user pool'))?.action).toBe('noop');
    } finally {
      await sc.close();
    }
  }, 60_000);
});

describe('auth.users, crash and resume', () => {
  it('resumes from the journaled cursor without redoing finished batches', async () => {
    const sc = await scenario(world, { passwords: 'reset' }, { batchSize: 2 });
    try {
      const controller = new AbortController();
      const first = sc.reopen({ signal: controller.signal });
      const ctx1 = first.context(authUsersStep, { progress: (p) => p.done >= 4 && controller.abort() });
      const [change] = await authUsersStep.plan(ctx1);
      await expect(authUsersStep.apply(ctx1, change!)).rejects.toThrow(/Interrupted/);
      const partial = ctx1.journal.lastCheckpoint('users');
      expect(partial?.done).toBe(false);
      expect(partial?.count).toBe(4);
      const before = world.front.requests.length;

      const ctx2 = sc.reopen().context(authUsersStep);
      await authUsersStep.apply(ctx2, change!);
      const created = world.front.requests
        .slice(before)
        .filter((r) => r.target === 'AdminCreateUser' && r.body.UserPoolId === sc.poolId)
        .map((r) => r.body.Username);
      // alice and bob were in the first two batches: the rerun does not touch them again.
      expect(created).not.toContain('alice@example.com');
      expect(created).not.toContain('bob@example.com');
      expect(await poolUsers(sc.poolId)).toHaveLength(MIGRATED);
      expect(ctx2.journal.lastCheckpoint('users')?.done).toBe(true);
      expect(failing(await authUsersStep.verify(ctx2))).toEqual([]);
    } finally {
      await sc.close();
    }
  }, 60_000);
});

function readdirCsvLeft(stateDir: string): string[] {
  const dir = join(stateDir, 'auth');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.csv')) : [];
}
