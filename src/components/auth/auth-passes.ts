import { randomUUID } from 'node:crypto';
import type {
  CognitoIdentityProviderClient,
  AttributeType as SdkAttribute,
  UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Client } from 'pg';
import type { AuthConfig } from '../../config/schema.js';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { withRetry } from '../../core/retry.js';
import type { StepContext } from '../../core/step.js';
import type { ComponentPass, PassSummary } from '../../core/sync-contracts.js';
import { poolSchema } from '../../providers/cognito/pool-schema.js';
import { forEachConcurrent, RateLimiter } from '../../providers/cognito/rate-limiter.js';
import { CognitoUserWriter, nameOf } from '../../providers/cognito/user-writer.js';
import {
  requireSupabaseAuthSource,
  type SupabaseAuthSource,
  type SupabaseAuthUser,
} from '../../providers/supabase/auth/index.js';
import { targetCapabilities, targetDb } from '../db/target-db.js';
import { AuthIdMap, type IdMapRow, idMapRow } from './auth-id-map.js';
import {
  AuthSyncState,
  DELETED,
  DIGEST_TABLE,
  draftDigest,
  insertSourceUser,
  missingInSource,
  passwordDigest,
  readSourceUsers,
  type SourceUserWrite,
  sourceIdByEmail,
  updateSourceUser,
} from './auth-sync-state.js';
import { authSettings } from './auth-users.js';
import {
  type AttributeType,
  attributeRecord,
  type CognitoUserDraft,
  type Mapped,
  type MappingOptions,
  mapUser,
  normalisePhone,
  SUPABASE_ID_ATTRIBUTE,
} from './user-mapping.js';
import { type Route, routeOf } from './user-route.js';

// Incremental auth passes for `sync`, cutover and rollback (ctx is the 'sync.auth' step context).
//
// Forward (Supabase -> Cognito, while auth is `source`): every source user is mapped exactly as the
// auth.users step maps it; only users whose mapped draft (or password hash) changed since the last pass
// cost a Cognito call (digests in engify.auth_sync_digest). New users are created (admin route; the lazy
// strategy gets a legacy-hash row instead), changed ones updated, banned ones disabled, and users deleted
// on the source (hard or soft) are DISABLED in Cognito, never deleted.
//
// Reverse (Cognito -> Supabase, while auth is `target`, and as rollback's drain): ListUsers is polled;
// users without a Supabase id get a GoTrue-shaped auth.users row with a new uuid (recorded in the id map
// and, where the pool allows it, as custom:supabase_id); email, phone, mapped metadata and verification
// flags changed in Cognito are written onto the source row. Passwords cannot travel back.
//
// No echo: each pass compares against the mapped draft of the current source row, which is what the
// other direction writes, and the reverse pass stores the digest of what it wrote, so the next forward
// pass sees nothing new.

const msg = messages.auth;

interface PassSession {
  settings: AuthConfig;
  reader: SupabaseAuthSource;
  source: Client;
  target: Client;
  poolId: string;
  cognito: CognitoIdentityProviderClient;
  writer: CognitoUserWriter;
  idMap: AuthIdMap;
  state: AuthSyncState;
  mapping: Omit<MappingOptions, 'collisions'>;
  close(): Promise<void>;
}

async function openPass(ctx: StepContext): Promise<PassSession> {
  const settings = authSettings(ctx.config);
  const dbUrl = ctx.config.source.supabase?.dbUrl;
  if (!dbUrl) {
    throw new EngifyError({
      code: 'AUTH_SYNC_NO_DB_URL',
      kind: 'config',
      message: msg.syncNeedsDbUrl,
      hint: msg.syncNeedsDbUrlHint,
    });
  }
  const rds = ctx.config.target.rds;
  if (!rds || !targetCapabilities(rds).sessionSql) {
    throw new EngifyError({
      code: 'AUTH_NO_TARGET_DB',
      kind: 'config',
      message: msg.noTargetDb,
      hint: msg.noTargetDbHint,
    });
  }
  const poolId = ctx.journal.outputOf('auth.pool', 'userPoolId');
  if (typeof poolId !== 'string' || poolId === '') {
    throw new EngifyError({
      code: 'AUTH_NO_POOL',
      kind: 'config',
      message: msg.poolNotYet,
      hint: msg.poolNotYetHint,
    });
  }
  const reader = requireSupabaseAuthSource(ctx.config, ctx.services, settings.batchSize);
  const clients: Client[] = [];
  const close = async () => {
    await reader.close();
    for (const c of clients) await c.end().catch(() => undefined);
  };
  try {
    const source = await withRetry(() => ctx.services.pg(dbUrl));
    clients.push(source);
    const to = await targetDb(ctx, 'auth sync');
    const target = await withRetry(() => to.connect());
    clients.push(target);
    const idMap = new AuthIdMap(target);
    if (!(await idMap.exists())) {
      throw new EngifyError({
        code: 'AUTH_SYNC_NO_ID_MAP',
        kind: 'config',
        message: msg.syncNeedsCopy,
        hint: msg.syncNeedsCopyHint,
      });
    }
    const state = new AuthSyncState(target);
    if (!(await state.exists())) {
      const resource = { kind: 'pg-table', name: DIGEST_TABLE };
      ctx.journal.intent(resource);
      await state.ensure();
      ctx.journal.created(resource);
    }
    const cognito = await ctx.services.cognito();
    const writer = new CognitoUserWriter(
      cognito,
      poolId,
      new RateLimiter({ ratePerSecond: settings.ratePerSecond }),
      ctx.signal,
    );
    const mapping: Omit<MappingOptions, 'collisions'> = {
      attributes: settings.attributes,
      ...(await poolSchema(writer, cognito, poolId)),
    };
    return { settings, reader, source, target, poolId, cognito, writer, idMap, state, mapping, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function reportReason(mapped: Exclude<Mapped, { outcome: 'migrate' }>): string {
  switch (mapped.reason) {
    case 'email-collision':
      return msg.refusedCollision;
    case 'invalid-email':
      return msg.refusedInvalidEmail;
    default:
      return msg.refusedNoEmail;
  }
}

const emptySummary = (): PassSummary => ({ applied: 0, deleted: 0, unchanged: 0, refused: [] });

// ------------------------------------------------------------------------------------------- forward

interface ForwardWork {
  user: SupabaseAuthUser;
  draft: CognitoUserDraft;
  row: IdMapRow | undefined;
  route: Route;
  prior: { digest: string; passwordDigest: string | null } | undefined;
  digest: string;
  passwordDigest: string | null;
}

export const authForwardPass: ComponentPass = async (ctx) => {
  const s = await openPass(ctx);
  const summary = emptySummary();
  try {
    const collisions = await s.reader.emailCollisions();
    let providers: Set<string> | undefined;
    const providerNames = async () => {
      providers ??= await s.writer.providers().catch(() => new Set<string>());
      return providers;
    };
    for await (const batch of s.reader.read({ signal: ctx.signal })) {
      const ids = batch.items.map((u) => u.id);
      const known = await s.idMap.get(ids);
      const digests = await s.state.get(ids);
      const work: ForwardWork[] = [];
      const gone: IdMapRow[] = [];
      const digestRows: { id: string; digest: string; passwordDigest: string | null }[] = [];
      // A refusal is reported once per reason, not on every poll: its reason is kept as the digest.
      const refuse = (id: string, reason: string) => {
        const mark = `refused:${reason}`;
        if (digests.get(id)?.digest !== mark) summary.refused.push({ key: id, reason });
        else summary.unchanged++;
        digestRows.push({ id, digest: mark, passwordDigest: null });
      };
      for (const user of batch.items) {
        const row = known.get(user.id);
        const prior = digests.get(user.id);
        const mapped = mapUser(user, { ...s.mapping, collisions });
        if (mapped.outcome === 'skip') {
          if (row && mapped.reason === 'soft-deleted' && prior?.digest !== DELETED) gone.push(row);
          else summary.unchanged++;
          continue;
        }
        if (mapped.outcome === 'report') {
          if (row) summary.unchanged++;
          else refuse(user.id, reportReason(mapped));
          continue;
        }
        const route = routeOf(s.settings, mapped.user);
        if (!route) {
          if (row) summary.unchanged++;
          else refuse(user.id, msg.refusedFallbackSkip);
          continue;
        }
        const digest = draftDigest(mapped.user);
        const pwDigest = passwordDigest(user.passwordHash);
        if (row && row.status !== 'intent' && prior?.digest === digest && prior.passwordDigest === pwDigest) {
          summary.unchanged++;
          continue;
        }
        work.push({ user, draft: mapped.user, row, route, prior, digest, passwordDigest: pwDigest });
      }

      await forEachConcurrent(work, s.settings.concurrency, async (w) => {
        const outcome = await forwardOne(s, w, summary, providerNames);
        if (outcome !== 'retry')
          digestRows.push({ id: w.user.id, digest: w.digest, passwordDigest: w.passwordDigest });
      });
      await disable(s, gone, summary, digestRows);
      await s.state.put(digestRows);
      ctx.progress({ done: summary.applied + summary.unchanged + summary.deleted, unit: 'users' });
    }

    // Users gone from the source altogether (hard-deleted): found page by page through the id map.
    for await (const page of s.idMap.scan()) {
      const missing = new Set(
        await missingInSource(
          s.source,
          page.map((r) => r.supabaseId),
        ),
      );
      if (missing.size === 0) continue;
      const digests = await s.state.get([...missing]);
      const gone = page.filter(
        (r) => missing.has(r.supabaseId) && digests.get(r.supabaseId)?.digest !== DELETED,
      );
      const digestRows: { id: string; digest: string; passwordDigest: string | null }[] = [];
      await disable(s, gone, summary, digestRows);
      await s.state.put(digestRows);
    }
    ctx.journal.output('forwardLastPass', { at: new Date().toISOString(), ...countsOf(summary) });
    ctx.log(msg.forwardPassDone(summary.applied, summary.deleted, summary.unchanged, summary.refused.length));
    return summary;
  } finally {
    await s.close();
  }
};

async function forwardOne(
  s: PassSession,
  w: ForwardWork,
  summary: PassSummary,
  providerNames: () => Promise<Set<string>>,
): Promise<'done' | 'retry'> {
  const { draft, row } = w;
  const strategy = s.settings.passwords;
  const existing =
    row && row.status !== 'intent' ? await s.writer.get(row.cognitoUsername ?? draft.email) : undefined;

  if (!existing && w.route === 'lazy') {
    // Not in Cognito yet: the migration Lambda creates it from the legacy row at first sign-in.
    await s.idMap.putLegacy([
      {
        email: draft.email,
        supabaseId: draft.supabaseId,
        passwordHash: draft.password.kind === 'bcrypt' ? draft.password.hash : '',
        attributes: attributeRecord(draft.attributes),
        enabled: draft.enabled,
      },
    ]);
    await s.idMap.upsert([idMapRow(draft, strategy, 'lazy', null, null, false)]);
    summary.applied++;
    return 'done';
  }

  if (!existing) {
    // Intent first, as auth.users does: a crash between the create and the map write is recognised on
    // rerun, and rollback still knows the user is ours.
    const wasIntent = row?.status === 'intent';
    if (!row) await s.idMap.upsert([idMapRow(draft, strategy, 'intent', null, null, false)]);
    const result = await s.writer.create(draft);
    await s.idMap.upsert([
      idMapRow(
        draft,
        strategy,
        'migrated',
        result.username,
        result.sub,
        result.action === 'created' || wasIntent,
      ),
    ]);
    if (result.action === 'unchanged') summary.unchanged++;
    else summary.applied++;
    if (result.action === 'created' && w.route === 'import') {
      summary.refused.push({ key: draft.supabaseId, reason: msg.refusedNewWithoutHash });
    }
    await link(s, result.username, draft, providerNames);
    return 'done';
  }

  // Cognito refuses writes to an immutable custom:supabase_id; users created in Cognito after cutover
  // (no such attribute) are known by the id map alone.
  const target = existing.attributes[SUPABASE_ID_ATTRIBUTE]
    ? draft
    : { ...draft, attributes: draft.attributes.filter((a) => a.Name !== SUPABASE_ID_ATTRIBUTE) };
  const result = await s.writer.update(existing, target);
  if (result.action === 'updated') summary.applied++;
  else summary.unchanged++;
  if (row && row.email !== draft.email) await s.idMap.upsert([{ ...row, email: draft.email }]);
  if (
    w.prior?.passwordDigest &&
    w.passwordDigest &&
    w.prior.passwordDigest !== w.passwordDigest &&
    strategy === 'import-hashes'
  ) {
    summary.refused.push({ key: draft.supabaseId, reason: msg.refusedHashChanged });
  }
  if (w.prior?.digest !== w.digest) await link(s, existing.username, draft, providerNames);
  return 'done';
}

async function link(
  s: PassSession,
  username: string,
  draft: CognitoUserDraft,
  providerNames: () => Promise<Set<string>>,
): Promise<void> {
  if (draft.identities.length === 0) return;
  const providers = await providerNames();
  for (const identity of draft.identities) {
    const name = s.settings.providers[identity.provider] ?? identity.provider;
    if (providers.has(name)) await s.writer.link(username, name, identity.providerUserId);
  }
}

/** Users deleted on the source: disabled in Cognito (never deleted), legacy rows switched off. */
async function disable(
  s: PassSession,
  rows: IdMapRow[],
  summary: PassSummary,
  digestRows: { id: string; digest: string; passwordDigest: string | null }[],
): Promise<void> {
  if (rows.length === 0) return;
  await s.state.disableLegacy(rows.filter((r) => r.status === 'lazy').map((r) => r.supabaseId));
  await forEachConcurrent(rows, s.settings.concurrency, async (row) => {
    const existing = await s.writer.get(row.cognitoUsername ?? row.email);
    const sameUser =
      existing &&
      (existing.attributes[SUPABASE_ID_ATTRIBUTE] === undefined ||
        existing.attributes[SUPABASE_ID_ATTRIBUTE] === row.supabaseId);
    if (existing && sameUser && existing.enabled) {
      await s.writer.setEnabled(existing.username, false);
      summary.deleted++;
    } else if (row.status === 'lazy') summary.deleted++;
    else summary.unchanged++;
    digestRows.push({ id: row.supabaseId, digest: DELETED, passwordDigest: null });
  });
}

function countsOf(summary: PassSummary): Record<string, Json> {
  return {
    applied: summary.applied,
    deleted: summary.deleted,
    unchanged: summary.unchanged,
    refused: summary.refused.length,
  };
}

// ------------------------------------------------------------------------------------------- reverse

interface CognitoEntry {
  username: string;
  attrs: Record<string, string>;
  status: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const authReversePass: ComponentPass = async (ctx) => {
  const s = await openPass(ctx);
  const summary = emptySummary();
  const notes = { immutable: false };
  try {
    const { ListUsersCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const out = await s.writer.call(
        () =>
          s.cognito.send(new ListUsersCommand({ UserPoolId: s.poolId, Limit: 60, PaginationToken: token })),
        'ListUsers',
      );
      await reversePage(ctx, s, out.Users ?? [], summary, notes);
      token = out.PaginationToken;
      // cognito-local ignores PaginationToken and answers every user at once: never loop on a repeated token.
      if (token && seen.has(token)) break;
      if (token) seen.add(token);
    } while (token && !ctx.signal.aborted);
    if (notes.immutable) ctx.log(msg.supabaseIdImmutable(s.poolId));
    ctx.journal.output('reverseLastPass', { at: new Date().toISOString(), ...countsOf(summary) });
    ctx.log(msg.reversePassDone(summary.applied, summary.unchanged, summary.refused.length));
    return summary;
  } finally {
    await s.close();
  }
};

async function reversePage(
  ctx: StepContext,
  s: PassSession,
  users: UserType[],
  summary: PassSummary,
  notes: { immutable: boolean },
): Promise<void> {
  const entries: CognitoEntry[] = users
    .filter((u) => u.Username)
    .map((u) => ({
      username: u.Username ?? '',
      attrs: attributeRecord((u.Attributes ?? []) as AttributeType[]),
      status: u.UserStatus,
    }));
  const byName = await s.state.byUsername(
    entries.filter((e) => !e.attrs[SUPABASE_ID_ATTRIBUTE]).map((e) => e.username),
  );
  const sidOf = (e: CognitoEntry) => e.attrs[SUPABASE_ID_ATTRIBUTE] ?? byName.get(e.username)?.supabaseId;
  const ids = entries.map(sidOf).filter((id): id is string => !!id && UUID.test(id));
  const known = await s.idMap.get(ids);
  const sourceUsers = await readSourceUsers(s.source, ids);
  const digestRows: { id: string; digest: string; passwordDigest: string | null }[] = [];

  // One at a time: new users are checked against source emails, and two Cognito users must not race for one.
  for (const e of entries) {
    if (ctx.signal.aborted) return;
    const sid = sidOf(e);
    const validSid = sid && UUID.test(sid) ? sid : undefined;
    const row = (validSid ? known.get(validSid) : undefined) ?? byName.get(e.username);
    const src = validSid ? sourceUsers.get(validSid) : undefined;
    if (src && row?.status !== 'intent') {
      await reverseUpdate(s, e, src, row, summary, digestRows);
    } else if (!src && row && row.status !== 'intent') {
      // Deleted on the source (the forward pass disabled it in Cognito): never recreated.
      summary.unchanged++;
    } else {
      const id = row?.status === 'intent' ? row.supabaseId : (validSid ?? randomUUID());
      await reverseCreate(s, e, id, summary, digestRows, notes);
    }
  }
  await s.state.put(digestRows);
}

/** The user_metadata key each mapped attribute comes from (first mapping whose key the user has, else the first). */
function metadataKeys(settings: AuthConfig, src: SupabaseAuthUser): Map<string, string> {
  const keys = new Map<string, string>();
  for (const { from, to } of settings.attributes) {
    const [head, key, ...rest] = from.split('.');
    if (head !== 'user_metadata' || !key || rest.length > 0) continue;
    const has = src.userMetadata[key] !== undefined && src.userMetadata[key] !== null;
    if (!keys.has(to) || (has && !keys.get(`has:${to}`))) {
      keys.set(to, key);
      if (has) keys.set(`has:${to}`, key);
    }
  }
  for (const k of [...keys.keys()]) if (k.startsWith('has:')) keys.delete(k);
  return keys;
}

async function reverseUpdate(
  s: PassSession,
  e: CognitoEntry,
  src: SupabaseAuthUser,
  row: IdMapRow | undefined,
  summary: PassSummary,
  digestRows: { id: string; digest: string; passwordDigest: string | null }[],
): Promise<void> {
  const mapped = mapUser(src, { ...s.mapping, collisions: new Set() });
  if (mapped.outcome !== 'migrate') {
    summary.unchanged++;
    return;
  }
  const draft = attributeRecord(mapped.user.attributes);
  const c = e.attrs;
  // Only values Cognito holds and that differ from what the source row maps to are Cognito-side changes.
  const differs = (name: string) => c[name] !== undefined && c[name] !== draft[name];
  const metaKeys = metadataKeys(s.settings, src);
  const metadata: Record<string, string> = {};
  for (const [attr, key] of metaKeys) if (differs(attr)) metadata[key] = c[attr] ?? '';
  const changed =
    differs('email') ||
    differs('email_verified') ||
    differs('phone_number') ||
    differs('phone_number_verified') ||
    Object.keys(metadata).length > 0;
  if (!row) {
    await s.idMap.upsert([
      idMapRow(
        { supabaseId: src.id, email: mapped.user.email },
        'reverse',
        'migrated',
        e.username,
        c.sub,
        false,
      ),
    ]);
  }
  if (!changed) {
    summary.unchanged++;
    return;
  }
  const email = differs('email') ? (c.email ?? '') : (src.email ?? '');
  const phone = differs('phone_number') ? (c.phone_number ?? '').replace(/^\+/, '') : src.phone;
  const write: SourceUserWrite = {
    id: src.id,
    email,
    phone,
    emailConfirmed: (differs('email_verified') ? c.email_verified : draft.email_verified) === 'true',
    phoneConfirmed: differs('phone_number_verified')
      ? c.phone_number_verified === 'true'
      : draft.phone_number_verified !== undefined
        ? draft.phone_number_verified === 'true'
        : src.phoneConfirmedAt !== null,
    metadata,
  };
  const taken = differs('email') ? await sourceIdByEmail(s.source, email) : undefined;
  if (taken && taken !== src.id) {
    summary.refused.push({ key: src.id, reason: msg.refusedEmailTaken(taken) });
    return;
  }
  await updateSourceUser(s.source, write);
  if (differs('email') && row) await s.idMap.upsert([{ ...row, email: email.toLowerCase() }]);
  await rememberSource(s, src.id, digestRows);
  summary.applied++;
}

async function reverseCreate(
  s: PassSession,
  e: CognitoEntry,
  id: string,
  summary: PassSummary,
  digestRows: { id: string; digest: string; passwordDigest: string | null }[],
  notes: { immutable: boolean },
): Promise<void> {
  const c = e.attrs;
  const email = c.email?.toLowerCase();
  if (!email) {
    summary.refused.push({ key: e.username, reason: msg.refusedNoEmail });
    return;
  }
  const taken = await sourceIdByEmail(s.source, email);
  if (taken && taken !== id) {
    summary.refused.push({ key: e.username, reason: msg.refusedEmailTaken(taken) });
    return;
  }
  await s.idMap.upsert([idMapRow({ supabaseId: id, email }, 'reverse', 'intent', e.username, c.sub, false)]);
  // The first mapping per attribute is where its value goes back (user_metadata.full_name for name).
  const metadata: Record<string, string> = {};
  const filled = new Set<string>();
  for (const { from, to } of s.settings.attributes) {
    const [head, key, ...rest] = from.split('.');
    if (head !== 'user_metadata' || !key || rest.length > 0 || filled.has(to) || c[to] === undefined)
      continue;
    metadata[key] = c[to] ?? '';
    filled.add(to);
  }
  const phone = c.phone_number && normalisePhone(c.phone_number) ? c.phone_number.replace(/^\+/, '') : null;
  await insertSourceUser(s.source, {
    id,
    email,
    phone,
    emailConfirmed: c.email_verified === 'true',
    phoneConfirmed: phone !== null && c.phone_number_verified === 'true',
    metadata,
  });
  if (c[SUPABASE_ID_ATTRIBUTE] !== id) await setSupabaseId(s, e.username, id, notes);
  await s.idMap.upsert([
    idMapRow({ supabaseId: id, email }, 'reverse', 'migrated', e.username, c.sub, false),
  ]);
  await rememberSource(s, id, digestRows);
  summary.applied++;
  // Federated users have no password to lose; everyone else signs in with a password only Cognito knows.
  if (e.status !== 'EXTERNAL_PROVIDER')
    summary.refused.push({ key: id, reason: msg.refusedPasswordNotCarried });
}

async function setSupabaseId(
  s: PassSession,
  username: string,
  id: string,
  notes: { immutable: boolean },
): Promise<void> {
  if (notes.immutable) return;
  const { AdminUpdateUserAttributesCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  try {
    await s.writer.call(
      () =>
        s.cognito.send(
          new AdminUpdateUserAttributesCommand({
            UserPoolId: s.poolId,
            Username: username,
            UserAttributes: [{ Name: SUPABASE_ID_ATTRIBUTE, Value: id }] as SdkAttribute[],
          }),
        ),
      'AdminUpdateUserAttributes',
    );
  } catch (error) {
    const cause = error instanceof EngifyError && error.cause !== undefined ? error.cause : error;
    // AWS and cognito-local both refuse to write an immutable attribute after the user exists.
    if (nameOf(cause) === 'InvalidParameterException') {
      notes.immutable = true;
      return;
    }
    throw error;
  }
}

/** Stores the digest of the source row as it now maps, so the next forward pass has nothing to echo. */
async function rememberSource(
  s: PassSession,
  id: string,
  digestRows: { id: string; digest: string; passwordDigest: string | null }[],
): Promise<void> {
  const user = (await readSourceUsers(s.source, [id])).get(id);
  if (!user) return;
  const mapped = mapUser(user, { ...s.mapping, collisions: new Set() });
  if (mapped.outcome !== 'migrate') return;
  digestRows.push({
    id,
    digest: draftDigest(mapped.user),
    passwordDigest: passwordDigest(user.passwordHash),
  });
}
