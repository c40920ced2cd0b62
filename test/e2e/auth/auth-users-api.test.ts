import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authUsersStep } from '../../../src/components/auth/auth-users.js';
import { EngifyError } from '../../../src/core/errors.js';
import type { Check } from '../../../src/core/step.js';
import { supabaseAuthApiSource } from '../../../src/providers/supabase/auth/api-users.js';
import {
  type SupabaseAuthApi,
  startSupabaseAuthApi,
  usersFromPostgres,
} from '../../../src/sandbox/supabase-auth-api.js';
import {
  ALICE,
  ALICE_ATTRIBUTES,
  type AuthWorld,
  expectRerunNoopThenRollback,
  listPoolUsers,
  MIGRATED,
  poolUser,
  type Scenario,
  scenario,
  startAuthWorld,
} from './auth-harness.js';

// auth.users reading Supabase Auth through the admin API only (no source.supabase.dbUrl): supabase-js's
// auth.admin.listUsers against the GoTrue stand-in, seeded with the same users as
// test/fixtures/auth-fixture.sql, into cognito-local. Expected outcomes match the database path
// (6 migrated, 2 skipped, 3 reported) except that the API carries no password hashes.

const SERVICE_KEY = 'test-service-role-key-5f2c9a';
const ANON_KEY = 'test-anon-key-0b7e41';
const SOURCE_USERS = 11;

let world: AuthWorld;
let api: SupabaseAuthApi;
beforeAll(async () => {
  world = await startAuthWorld();
  const source = new pg.Client({ connectionString: world.sourceUrl });
  await source.connect();
  const users = await usersFromPostgres(source);
  await source.end();
  api = await startSupabaseAuthApi({ serviceRoleKey: SERVICE_KEY, anonKey: ANON_KEY, users });
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await world?.stop();
});

const failing = (checks: Check[]) => checks.filter((c) => !c.ok && !c.skipped);
const host = () => new URL(api.url).host;

/** A scenario whose config reads users through the admin API only. */
async function apiScenario(
  auth: Record<string, unknown>,
  options: { batchSize?: number; key?: string } = {},
): Promise<{ sc: Scenario; open: () => ReturnType<Scenario['reopen']> }> {
  const sc = await scenario(world, auth, options.batchSize ? { batchSize: options.batchSize } : {});
  (sc.config as { source: unknown }).source = {
    supabase: { apiUrl: api.url, serviceRoleKey: options.key ?? SERVICE_KEY },
  };
  return { sc, open: () => sc.reopen() };
}

const poolUsers = (poolId: string) => listPoolUsers(world, poolId);

function listRequestsSince(before: number) {
  return api.requests.slice(before).filter((r) => r.method === 'GET' && r.path === '/auth/v1/admin/users');
}

async function caught(promise: Promise<unknown>): Promise<EngifyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EngifyError) return error;
    throw error;
  }
  throw new Error('expected an EngifyError');
}

describe('auth.users through the Supabase admin API, reset strategy', () => {
  it('plans, pages through listUsers, applies, verifies, reruns idempotently and rolls back', async () => {
    const { sc, open } = await apiScenario({ passwords: 'reset' }, { batchSize: 3 });
    try {
      const ctx = open().context(authUsersStep);
      const before = api.requests.length;
      const [change] = await authUsersStep.plan(ctx);
      const details = change?.details as { counts: Record<string, number> };
      expect(details.counts).toMatchObject({
        'to-create': MIGRATED,
        'skip:soft-deleted': 1,
        'skip:anonymous': 1,
        'report:email-collision': 2,
        'report:no-email': 1,
        'issue:invalid-phone': 1,
        'issue:attribute-too-long': 1,
        'password:reset': MIGRATED,
      });
      // No hashes through the API, so nothing can be "non-bcrypt" either.
      expect(details.counts['issue:non-bcrypt-hash']).toBeUndefined();
      // 11 users at per_page=3: pages 1-4 (collision pass, then the read), each with both key headers.
      const pages = listRequestsSince(before);
      expect(pages.map((r) => `${r.query.page}/${r.query.per_page}`)).toEqual([
        '1/3',
        '2/3',
        '3/3',
        '4/3',
        '1/3',
        '2/3',
        '3/3',
        '4/3',
      ]);
      expect(pages.every((r) => r.headers.apikey === SERVICE_KEY)).toBe(true);
      expect(pages.every((r) => r.headers.authorization === `Bearer ${SERVICE_KEY}`)).toBe(true);

      await authUsersStep.apply(ctx, change!);
      expect(await poolUsers(sc.poolId)).toHaveLength(MIGRATED);
      const alice = await poolUser(world, sc.poolId, 'alice@example.com');
      expect(alice.attributes).toMatchObject(ALICE_ATTRIBUTES);
      expect((await poolUser(world, sc.poolId, 'bob@example.com')).Enabled).toBe(false);
      const gina = await world.cognito.send(
        new AdminGetUserCommand({ UserPoolId: sc.poolId, Username: 'gina@example.com' }),
      );
      expect(gina.UserAttributes?.find((a) => a.Name === 'custom:supabase_id')?.Value).toBe(
        '00000000-0000-4000-8000-000000000009',
      );
      const map = await sc.target.query(
        'SELECT supabase_id::text, status FROM engify.auth_id_map ORDER BY 1',
      );
      expect(map.rows.map((r) => r.supabase_id)).toEqual([
        ALICE,
        '00000000-0000-4000-8000-000000000002',
        '00000000-0000-4000-8000-000000000005',
        '00000000-0000-4000-8000-000000000006',
        '00000000-0000-4000-8000-000000000009',
        '00000000-0000-4000-8000-00000000000b',
      ]);
      expect(map.rows.every((r) => r.status === 'migrated')).toBe(true);
      // The journal's cursor is a page number, never a key.
      expect(JSON.stringify(ctx.journal.lastCheckpoint('users'))).not.toContain(SERVICE_KEY);

      expect(failing(await authUsersStep.verify(ctx))).toEqual([]);

      await expectRerunNoopThenRollback(world, sc, change!, open());
      // Rollback never writes to the source: only GET requests reached the API.
      expect(api.requests.every((r) => r.method === 'GET')).toBe(true);
    } finally {
      await sc.close();
    }
  }, 60_000);
});

describe('auth.users through the admin API, strategies that need hashes', () => {
  for (const passwords of ['import-hashes', 'lazy'] as const) {
    it(`refuses ${passwords} before writing anything, naming the host and both ways out`, async () => {
      const { sc, open } = await apiScenario({
        passwords,
        importJob: { cloudWatchLogsRoleArn: 'arn:aws:iam::000000000000:role/cognito-import' },
      });
      try {
        const ctx = open().context(authUsersStep);
        const [change] = await authUsersStep.plan(ctx);
        expect(change?.warnings?.some((w) => w.includes('never returns password hashes'))).toBe(true);
        const error = await caught(authUsersStep.apply(ctx, change!));
        expect(error.code).toBe('AUTH_API_NO_HASHES');
        expect(error.kind).toBe('config');
        expect(error.message).toContain(passwords);
        expect(error.message).toContain(host());
        expect(error.hint).toContain('source.supabase.dbUrl');
        expect(error.hint).toContain('"reset"');
        expect(await poolUsers(sc.poolId)).toHaveLength(0);
        const table = await sc.target.query(`SELECT to_regclass('engify.auth_id_map') IS NULL AS absent`);
        expect(table.rows[0].absent).toBe(true);
      } finally {
        await sc.close();
      }
    }, 60_000);
  }
});

describe('auth.users through the admin API, a wrong service key', () => {
  for (const [label, key, status] of [
    ['the anon key', ANON_KEY, 403],
    ['an unknown key', 'not-a-project-key', 401],
  ] as const) {
    it(`is a config error naming source.supabase.serviceRoleKey and the host (${label}), without retries`, async () => {
      const { sc, open } = await apiScenario({ passwords: 'reset' }, { key });
      try {
        const before = api.requests.length;
        const error = await caught(authUsersStep.plan(open().context(authUsersStep)));
        expect(error.code).toBe('AUTH_SOURCE_API_KEY');
        expect(error.kind).toBe('config');
        expect(error.message).toContain('source.supabase.serviceRoleKey');
        expect(error.message).toContain(host());
        expect(error.message).toContain(`HTTP ${status}`);
        expect(error.hint).toContain('service_role');
        expect(`${error.message} ${error.hint} ${error.detail ?? ''}`).not.toContain(key);
        expect(api.requests.length - before).toBe(1);
        expect(await poolUsers(sc.poolId)).toHaveLength(0);
      } finally {
        await sc.close();
      }
    }, 60_000);
  }
});

describe('supabaseAuthApiSource paging', () => {
  const idsOf = async (source: ReturnType<typeof supabaseAuthApiSource>, after?: number) => {
    const ids: string[] = [];
    const cursors: unknown[] = [];
    for await (const batch of source.read(after === undefined ? {} : { after })) {
      ids.push(...batch.items.map((u) => u.id));
      cursors.push(batch.cursor);
    }
    return { ids, cursors };
  };

  it('follows the Link header past a proxy that caps per_page, and past page 9', async () => {
    const capped = await startSupabaseAuthApi({
      serviceRoleKey: SERVICE_KEY,
      users: api.users(),
      maxPerPage: 1,
    });
    try {
      const source = supabaseAuthApiSource({ apiUrl: capped.url, serviceRoleKey: SERVICE_KEY, batchSize: 5 });
      const { ids, cursors } = await idsOf(source);
      expect(new Set(ids).size).toBe(SOURCE_USERS);
      expect(cursors).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      // Resuming after page 7 reads only pages 8-11.
      expect((await idsOf(source, 7)).ids).toEqual(ids.slice(7));
      await source.close();
    } finally {
      await capped.stop();
    }
  });

  it('reads a last page that is exactly full without losing or repeating users; GoTrue field shapes map', async () => {
    const source = supabaseAuthApiSource({ apiUrl: api.url, serviceRoleKey: SERVICE_KEY, batchSize: 11 });
    const before = api.requests.length;
    const { ids } = await idsOf(source);
    expect(ids).toHaveLength(SOURCE_USERS);
    expect(new Set(ids).size).toBe(SOURCE_USERS);
    expect(api.requests.length - before).toBe(1); // no rel="next": no extra empty-page request
    let dave: unknown;
    let frank: unknown;
    for await (const batch of source.read({})) {
      dave ??= batch.items.find((u) => u.id === '00000000-0000-4000-8000-000000000005');
      frank ??= batch.items.find((u) => u.id === '00000000-0000-4000-8000-000000000007');
    }
    expect(dave).toMatchObject({
      email: 'dave@example.com',
      phone: '12',
      passwordHash: null,
      identities: expect.arrayContaining([
        { provider: 'github', providerUserId: '9001' },
        { provider: 'email', providerUserId: '00000000-0000-4000-8000-000000000005' },
      ]),
    });
    expect((frank as { deletedAt: string | null }).deletedAt).not.toBeNull();
    await source.close();
  });

  it('retries 503s and still reads every user', async () => {
    const source = supabaseAuthApiSource({ apiUrl: api.url, serviceRoleKey: SERVICE_KEY, batchSize: 4 });
    api.failNext(2, 503);
    const { ids } = await idsOf(source);
    expect(new Set(ids).size).toBe(SOURCE_USERS);
    await source.close();
  });

  it('reports an unreachable API as transient, naming the host', async () => {
    const gone = await startSupabaseAuthApi({ serviceRoleKey: SERVICE_KEY });
    const url = gone.url;
    await gone.stop();
    const source = supabaseAuthApiSource({ apiUrl: url, serviceRoleKey: SERVICE_KEY, batchSize: 4 });
    const error = await caught(idsOf(source));
    expect(error.code).toBe('AUTH_SOURCE_API_UNREACHABLE');
    expect(error.kind).toBe('transient');
    expect(error.message).toContain(new URL(url).host);
    expect(error.detail).toContain('ECONNREFUSED');
  }, 30_000);
});
