import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  type AdminGetUserCommandOutput,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import pg from 'pg';
import { expect } from 'vitest';
import { authUsersStep } from '../../../src/components/auth/auth-users.js';
import type { EngineSession } from '../../../src/engine/session.js';
import { type CognitoFront, startCognitoFront } from '../../../src/sandbox/cognito-import-jobs.js';
import { type LambdaInvokeServer, startLambdaInvoke } from '../../../src/sandbox/lambda-invoke.js';
import { type LocalStack, startLocalStack } from '../../../src/sandbox/stack.js';
import { openTestSession } from '../../helpers/session.js';

// Shared setup of the auth e2e tests: cognito-local (through the import-job front), the Lambda Invoke
// stand-in its UserMigration trigger calls, and a PostgreSQL 15 cluster with a Supabase-shaped source
// database (test/fixtures/auth-fixture.sql) and one fresh target database per scenario.

export const MIGRATION_FUNCTION = 'engify-test-user-migration';

/** Alice in test/fixtures/auth-fixture.sql (and the Auth API stand-in's seed): every attribute set. */
export const ALICE = '00000000-0000-4000-8000-000000000001';
export const ALICE_ATTRIBUTES = {
  email: 'alice@example.com',
  email_verified: 'true',
  phone_number: '+15551234567',
  phone_number_verified: 'true',
  name: 'Alice Anders',
  'custom:supabase_id': ALICE,
};

/** Users the fixture's source holds that every strategy migrates. */
export const MIGRATED = 6;

export async function listPoolUsers(world: Pick<AuthWorld, 'cognito'>, poolId: string) {
  const out = await world.cognito.send(new ListUsersCommand({ UserPoolId: poolId }));
  return out.Users ?? [];
}

/**
 * A rerun of auth.users (its cursor reset, as after a lost journal) creates nobody and finds every user
 * unchanged; rolling it back then empties the pool and drops the id map. Returns the rerun's context.
 */
export async function expectRerunNoopThenRollback(
  world: Pick<AuthWorld, 'cognito'>,
  sc: Scenario,
  change: Parameters<typeof authUsersStep.apply>[1],
  session: EngineSession = sc.reopen(),
) {
  const ctx = session.context(authUsersStep);
  ctx.journal.undone({ stream: 'users' });
  await authUsersStep.apply(ctx, change);
  expect(await listPoolUsers(world, sc.poolId)).toHaveLength(MIGRATED);
  const counts = ctx.journal.outputOf('auth.users', 'counts') as Record<string, number>;
  expect(counts.created ?? 0).toBe(0);
  expect(counts.unchanged).toBe(MIGRATED);

  await authUsersStep.rollback?.(ctx);
  expect(await listPoolUsers(world, sc.poolId)).toHaveLength(0);
  const gone = await sc.target.query(`SELECT to_regclass('engify.auth_id_map') IS NULL AS gone`);
  expect(gone.rows[0].gone).toBe(true);
  return ctx;
}

/** A user of the pool with its attributes as a name -> value record. */
export async function poolUser(
  world: Pick<AuthWorld, 'cognito'>,
  poolId: string,
  username: string,
): Promise<AdminGetUserCommandOutput & { attributes: Record<string, string | undefined> }> {
  const user = await world.cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }));
  return {
    ...user,
    attributes: Object.fromEntries((user.UserAttributes ?? []).map((a) => [a.Name, a.Value])),
  };
}

export interface AuthWorld {
  stack: LocalStack;
  front: CognitoFront;
  lambda: LambdaInvokeServer;
  sourceUrl: string;
  cognito: CognitoIdentityProviderClient;
  stop(): Promise<void>;
}

export async function startAuthWorld(): Promise<AuthWorld> {
  const lambda = await startLambdaInvoke();
  const stack = await startLocalStack({
    lambdaEndpoint: lambda.url,
    userMigrationFunction: MIGRATION_FUNCTION,
  });
  const front = await startCognitoFront({ upstream: stack.endpoints.cognito });
  const admin = new pg.Client({ connectionString: stack.postgres.url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE supabase');
  await admin.end();
  const source = new pg.Client({ connectionString: stack.postgres.url('supabase') });
  await source.connect();
  await source.query(readFileSync(join(import.meta.dirname, '../../fixtures/auth-fixture.sql'), 'utf8'));
  await source.end();
  const cognito = new CognitoIdentityProviderClient({
    region: 'us-east-1',
    endpoint: front.url,
    credentials: { ...stack.credentials },
  });
  return {
    stack,
    front,
    lambda,
    sourceUrl: stack.postgres.url('supabase'),
    cognito,
    stop: async () => {
      cognito.destroy();
      await front.stop();
      await lambda.stop();
      await stack.stop();
    },
  };
}

let counter = 0;

export interface Scenario {
  session: EngineSession;
  config: Record<string, unknown>;
  stateDir: string;
  poolId: string;
  clientId: string;
  targetUrl: string;
  target: pg.Client;
  reopen(options?: { signal?: AbortSignal }): EngineSession;
  close(): Promise<void>;
}

/** A fresh pool (as auth.pool would make it), target database and state dir for one scenario. */
export async function scenario(
  world: AuthWorld,
  auth: Record<string, unknown>,
  extra: { batchSize?: number } = {},
): Promise<Scenario> {
  const n = ++counter;
  const admin = new pg.Client({ connectionString: world.stack.postgres.url('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE target_${n}`);
  await admin.end();
  const targetUrl = world.stack.postgres.url(`target_${n}`);
  const pool = await world.cognito.send(
    new CreateUserPoolCommand({
      PoolName: `users-${n}`,
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email'],
      Schema: [
        {
          Name: 'supabase_id',
          AttributeDataType: 'String',
          Mutable: true,
          StringAttributeConstraints: { MinLength: '1', MaxLength: '64' },
        },
      ],
    }),
  );
  const poolId = pool.UserPool?.Id ?? '';
  const client = await world.cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'app',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  const clientId = client.UserPoolClient?.ClientId ?? '';
  const stateDir = mkdtempSync(join(tmpdir(), 'engify-auth-state-'));
  const config = {
    project: 'authtest',
    stateDir,
    source: { supabase: { dbUrl: world.sourceUrl } },
    target: {
      aws: {
        region: 'us-east-1',
        credentials: { accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key-0123' },
        endpoints: { cognito: world.front.url },
        maxAttempts: 2,
      },
      cognito: { userPoolName: `users-${n}` },
      rds: { mode: 'pg', url: targetUrl },
    },
    auth: { ratePerSecond: 200, concurrency: 4, batchSize: extra.batchSize ?? 500, ...auth },
  };
  const sessions: EngineSession[] = [];
  const reopen = (options: { signal?: AbortSignal } = {}) => {
    const s = openTestSession(config, options);
    sessions.push(s);
    return s;
  };
  const session = reopen();
  const poolCtx = session.context({ id: 'auth.pool' });
  poolCtx.journal.output('userPoolId', poolId);
  poolCtx.journal.output('appClientId', clientId);
  world.lambda.register(MIGRATION_FUNCTION, {
    handlerPath: join(stateDir, 'auth', 'user-migration-lambda', 'index.mjs'),
    databaseUrl: targetUrl,
  });
  const target = new pg.Client({ connectionString: targetUrl });
  target.on('error', () => undefined);
  await target.connect();
  return {
    session,
    config,
    stateDir,
    poolId,
    clientId,
    targetUrl,
    target,
    reopen,
    close: async () => {
      await target.end();
      for (const s of sessions) await s.close();
    },
  };
}
