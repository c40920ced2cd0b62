import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { Client } from 'pg';
import { type AuthConfig, authConfigSchema, type Config } from '../../config/schema.js';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { ImportCsv, importable } from '../../providers/cognito/import-csv.js';
import { runImportJob } from '../../providers/cognito/import-job.js';
import { writeMigrationLambda } from '../../providers/cognito/migration-lambda.js';
import { poolSchema } from '../../providers/cognito/pool-schema.js';
import { forEachConcurrent, RateLimiter } from '../../providers/cognito/rate-limiter.js';
import { updatePoolKeepingTheRest } from '../../providers/cognito/user-pool.js';
import { CognitoUserWriter, type ExistingUser, nameOf } from '../../providers/cognito/user-writer.js';
import { hostOf } from '../../providers/supabase/auth/db-users.js';
import {
  requireSupabaseAuthSource,
  type SupabaseAuthSource,
  type SupabaseAuthUser,
} from '../../providers/supabase/auth/index.js';
import { targetCapabilities, targetDb } from '../db/target-db.js';
import { AuthIdMap, type IdMapRow, idMapRow } from './auth-id-map.js';
import { userDigest } from './user-digest.js';
import {
  type CognitoUserDraft,
  type Mapped,
  type MappingOptions,
  mapUser,
  SUPABASE_ID_ATTRIBUTE,
} from './user-mapping.js';
import { type Route, routeOf } from './user-route.js';

// auth.users: Supabase Auth users into the Cognito pool made by auth.pool, with an id map on the target
// database. The source is streamed in id order; after each batch is durably written (users upserted in
// Cognito, id map rows committed) its cursor is journaled, so a rerun resumes there and replays nothing
// twice (writes are upserts keyed by the Supabase id / email).

const STEP_ID = 'auth.users';
const STREAM = 'users';
const MAP_TABLE = { kind: 'pg-table', name: 'engify.auth_id_map' } as const;
const LEGACY_TABLE = { kind: 'pg-table', name: 'engify.auth_legacy_hashes' } as const;
const msg = messages.auth;

type Counts = Record<string, number>;

interface Cursor {
  after: Json;
  counts: Counts;
}

interface Session {
  settings: AuthConfig;
  source: SupabaseAuthSource;
  poolId: string | undefined;
  clientId: string | undefined;
  cognito: CognitoIdentityProviderClient;
  limiter: RateLimiter;
  writer: CognitoUserWriter | undefined;
  db: Client | undefined;
  idMap: AuthIdMap | undefined;
  mapping: Omit<MappingOptions, 'collisions'>;
  close(): Promise<void>;
}

export function authSettings(config: Config): AuthConfig {
  return config.auth ?? authConfigSchema.parse({});
}

function configured(config: Config): boolean {
  const s = config.source.supabase;
  return !!s && (!!s.dbUrl || (!!s.apiUrl && !!s.serviceRoleKey)) && !!config.target.cognito;
}

async function open(ctx: StepContext, options: { needDb: boolean }): Promise<Session> {
  const settings = authSettings(ctx.config);
  const source = requireSupabaseAuthSource(ctx.config, ctx.services, settings.batchSize);
  const poolId = stringOutput(ctx.journal.outputOf('auth.pool', 'userPoolId'));
  const clientId = stringOutput(ctx.journal.outputOf('auth.pool', 'appClientId'));
  const cognito = await ctx.services.cognito();
  const limiter = new RateLimiter({ ratePerSecond: settings.ratePerSecond });
  const writer = poolId ? new CognitoUserWriter(cognito, poolId, limiter, ctx.signal) : undefined;
  let db: Client | undefined;
  // The id map lives in the target database, through a session of its own.
  const target = ctx.config.target.rds
    ? await targetDb(ctx, 'auth.users').catch((e) => e as Error)
    : undefined;
  if (target && !(target instanceof Error) && target.capabilities.sessionSql) {
    try {
      db = await target.connect();
    } catch (error) {
      if (options.needDb) throw error;
    }
  } else if (target instanceof Error && options.needDb) {
    await source.close();
    throw target;
  } else if (options.needDb) {
    await source.close();
    throw new EngifyError({
      code: 'AUTH_NO_TARGET_DB',
      kind: 'config',
      message: msg.noTargetDb,
      hint: msg.noTargetDbHint,
    });
  }
  const mapping: Omit<MappingOptions, 'collisions'> = { attributes: settings.attributes };
  if (writer && poolId) Object.assign(mapping, await poolSchema(writer, cognito, poolId));
  return {
    settings,
    source,
    poolId,
    clientId,
    cognito,
    limiter,
    writer,
    db,
    idMap: db ? new AuthIdMap(db) : undefined,
    mapping,
    close: async () => {
      await source.close();
      await db?.end().catch(() => undefined);
    },
  };
}

function stringOutput(value: Json | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function bump(counts: Counts, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

function report(ctx: StepContext, entry: Record<string, Json>): void {
  const dir = join(ctx.stateDir, 'auth');
  mkdirSync(dir, { recursive: true });
  appendFileSync(
    join(dir, 'report.jsonl'),
    `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`,
  );
}

function cognitoProvider(settings: AuthConfig, supabaseProvider: string): string {
  return settings.providers[supabaseProvider] ?? supabaseProvider;
}

// ---------------------------------------------------------------------------------------------- plan

/** The users to copy as plan counted them, by outcome, and the password strategy they go with. */
type UsersAction = PlannedAction<
  'users',
  | { kind: 'done' }
  | {
      kind: 'copy';
      counts: Record<string, number>;
      needProvider: Record<string, number>;
      strategy: string;
      fallback: string;
      csvHeader?: string[];
    }
>;

async function plan(ctx: StepContext): Promise<UsersAction[]> {
  // Apply does nothing once the copy has finished (later changes are sync's job): say so, as a noop.
  if (ctx.journal.lastCheckpoint(STREAM)?.done) {
    return [
      {
        action: 'noop',
        resource: msg.resource(ctx.config.target.cognito?.userPoolName ?? '?'),
        subject: 'users',
        summary: msg.doneSummary,
        details: { kind: 'done' },
      },
    ];
  }
  const s = await open(ctx, { needDb: false });
  try {
    const collisions = await s.source.emailCollisions();
    const providers = s.writer ? await s.writer.providers().catch(() => undefined) : undefined;
    const counts: Counts = {};
    const needProvider: Counts = {};
    // For the cost estimate: who would be copied, who signed in within 30 days (Cognito bills monthly
    // active users), and the Cognito calls the copy makes (one AdminCreateUser per reset user plus one
    // link per identity; an import job costs GetCSVHeader once, then create, start and at least one
    // describe per file; lazy users reach Cognito only at their first sign-in).
    const activeSince = Date.now() - 30 * 86_400_000;
    const usage = { users: 0, active: 0, adminCalls: 0, importUsers: 0 };
    for await (const batch of s.source.read({ signal: ctx.signal })) {
      const known = s.idMap ? await s.idMap.get(batch.items.map((u) => u.id)) : new Map<string, IdMapRow>();
      for (const user of batch.items) {
        const mapped = mapUser(user, { ...s.mapping, collisions });
        tallyMapped(counts, mapped);
        if (mapped.outcome !== 'migrate') continue;
        const route = routeOf(s.settings, mapped.user);
        if (!route) continue;
        usage.users++;
        if (route === 'admin') usage.adminCalls += 1 + mapped.user.identities.length;
        else if (route === 'import') usage.importUsers++;
        if (user.lastSignInAt && Date.parse(user.lastSignInAt) >= activeSince) usage.active++;
        const row = known.get(user.id);
        if (!row || row.status === 'intent') bump(counts, 'to-create');
        else if (row.status === 'migrated' && row.sourceDigest === userDigest(mapped.user))
          bump(counts, 'unchanged');
        else bump(counts, 'to-update');
        bump(
          counts,
          `password:${route === 'admin' ? 'reset' : route === 'import' ? 'import-hashes' : 'lazy'}`,
        );
        for (const identity of mapped.user.identities) {
          const name = cognitoProvider(s.settings, identity.provider);
          if (!providers?.has(name)) bump(needProvider, name);
        }
      }
    }
    const warnings: string[] = [];
    if (!s.poolId) warnings.push(msg.poolNotYet);
    if (!s.source.hasPasswordHashes && s.settings.passwords !== 'reset')
      warnings.push(msg.apiHasNoHashes(s.settings.passwords));
    if (s.settings.passwords === 'lazy') warnings.push(msg.lazyNeedsUserPasswordAuth);
    if (s.settings.passwords === 'import-hashes' && !s.settings.importJob.cloudWatchLogsRoleArn)
      warnings.push(msg.importNeedsRole);
    for (const [provider, n] of Object.entries(needProvider)) warnings.push(msg.needsProvider(provider, n));
    if ((counts['issue:non-bcrypt-hash'] ?? 0) > 0)
      warnings.push(msg.nonBcrypt(counts['issue:non-bcrypt-hash'] ?? 0, s.settings.fallback));
    if (!(ctx.config.target.rds && targetCapabilities(ctx.config.target.rds).sessionSql))
      warnings.push(msg.noTargetDb);
    const csv = await csvHeaderWarning(s);
    if (csv) warnings.push(csv.warning);
    const toCreate = counts['to-create'] ?? 0;
    const toUpdate = counts['to-update'] ?? 0;
    return [
      {
        action: toCreate + toUpdate === 0 ? 'noop' : 'copy',
        resource: msg.resource(ctx.config.target.cognito?.userPoolName ?? '?'),
        subject: 'users',
        summary: msg.planSummary(toCreate, toUpdate, skipped(counts), reported(counts), s.settings.passwords),
        details: {
          kind: 'copy',
          counts,
          needProvider,
          strategy: s.settings.passwords,
          fallback: s.settings.fallback,
          ...(csv?.header ? { csvHeader: csv.header } : {}),
        },
        ...(warnings.length > 0 ? { warnings } : {}),
        measures: [
          {
            kind: 'users',
            users: usage.users,
            activeLast30Days: usage.active,
            cognitoCalls:
              usage.adminCalls +
              (usage.importUsers > 0
                ? 1 + 3 * Math.ceil(usage.importUsers / s.settings.importJob.maxUsersPerFile)
                : 0),
            route: s.settings.passwords,
          },
        ],
      },
    ];
  } finally {
    await s.close();
  }
}

function tallyMapped(counts: Counts, mapped: Mapped): void {
  if (mapped.outcome === 'skip') bump(counts, `skip:${mapped.reason}`);
  else if (mapped.outcome === 'report') bump(counts, `report:${mapped.reason}`);
  else for (const i of mapped.issues) bump(counts, `issue:${i.issue}`);
}

const sumPrefix = (counts: Counts, prefix: string) =>
  Object.entries(counts)
    .filter(([k]) => k.startsWith(prefix))
    .reduce((n, [, v]) => n + v, 0);
const skipped = (counts: Counts) => sumPrefix(counts, 'skip:');
const reported = (counts: Counts) => sumPrefix(counts, 'report:');

// --------------------------------------------------------------------------------------------- apply

interface PendingImport {
  csv: ImportCsv;
  path: string;
  bytes: number;
  users: {
    supabaseId: string;
    email: string;
    enabled: boolean;
    identities: CognitoUserDraft['identities'];
    createdAt: string | null;
    digest: string;
  }[];
}

async function apply(ctx: StepContext): Promise<void> {
  const s = await open(ctx, { needDb: true });
  try {
    if (!s.writer || !s.poolId || !s.idMap) {
      throw new EngifyError({
        code: 'AUTH_NO_POOL',
        kind: 'config',
        message: msg.poolNotYet,
        hint: msg.poolNotYetHint,
      });
    }
    // Before anything is written: without hashes, import-hashes and lazy would quietly turn into resets.
    if (!s.source.hasPasswordHashes && s.settings.passwords !== 'reset') {
      throw new EngifyError({
        code: 'AUTH_API_NO_HASHES',
        kind: 'config',
        message: msg.apiNoHashesRefused(
          s.settings.passwords,
          hostOf(ctx.config.source.supabase?.apiUrl ?? ''),
        ),
        hint: msg.apiNoHashesRefusedHint,
      });
    }
    const writer = s.writer;
    const idMap = s.idMap;
    await ensureTable(ctx, idMap, MAP_TABLE, () => idMap.ensure());
    if (s.settings.passwords === 'lazy') {
      await ensureTable(ctx, idMap, LEGACY_TABLE, () => idMap.ensureLegacy());
      const dir = writeMigrationLambda(join(ctx.stateDir, 'auth', 'user-migration-lambda'), lambdaName(ctx));
      ctx.log(msg.lambdaWritten(dir, lambdaName(ctx)));
      if (s.settings.lambda.functionArn)
        await attachTrigger(writer, s.cognito, s.poolId, s.settings.lambda.functionArn);
      else ctx.log(msg.lambdaNextStep(dir, lambdaName(ctx), s.poolId));
    }

    const collisions = await s.source.emailCollisions();
    const providers = await writer.providers().catch((error: unknown) => {
      ctx.log(msg.providersUnavailable(nameOf(error)));
      return new Set<string>();
    });
    const shadowColumns = await idMap.shadowColumns();
    const last = ctx.journal.lastCheckpoint(STREAM);
    if (last?.done) {
      ctx.log(msg.alreadyDone);
      return;
    }
    const resumed = last?.cursor as Cursor | undefined;
    const counts: Counts = { ...(resumed?.counts ?? {}) };
    let csv: ImportCsv | undefined;
    let pending: PendingImport | undefined;
    let uncheckpointed = 0;
    let lastCursor: Json = resumed?.after ?? null;
    let done = last?.count ?? 0;

    const flush = async () => {
      if (!pending || pending.users.length === 0) return;
      const job = pending;
      pending = undefined;
      await flushImport(ctx, s, writer, idMap, job, counts, providers, shadowColumns);
    };

    for await (const batch of s.source.read({ after: resumed?.after ?? undefined, signal: ctx.signal })) {
      const routes = await processBatch(
        ctx,
        s,
        writer,
        idMap,
        batch.items,
        collisions,
        counts,
        providers,
        shadowColumns,
      );
      if (routes.import.length > 0) {
        csv ??= await importCsv(writer, s.cognito, s.poolId);
        for (const user of routes.import) {
          pending ??= newPending(ctx, csv);
          const row = csv.row(user);
          const bytes = Buffer.byteLength(row);
          if (
            pending.users.length >= s.settings.importJob.maxUsersPerFile ||
            pending.bytes + bytes > s.settings.importJob.maxBytesPerFile
          ) {
            await flush();
            pending = newPending(ctx, csv);
          }
          appendFileSync(pending.path, row, { mode: 0o600 });
          pending.bytes += bytes;
          pending.users.push({
            supabaseId: user.supabaseId,
            email: user.email,
            enabled: user.enabled,
            identities: user.identities,
            createdAt: routes.createdAt.get(user.supabaseId) ?? null,
            digest: userDigest(user),
          });
        }
      }
      uncheckpointed += batch.items.length;
      lastCursor = batch.cursor;
      // A batch whose users wait in an import file is not durable yet: its cursor is journaled after the job.
      if (!pending) {
        ctx.journal.checkpoint(STREAM, { after: lastCursor, counts } as unknown as Json, uncheckpointed);
        done += uncheckpointed;
        uncheckpointed = 0;
      }
      ctx.progress({ done: done + uncheckpointed, unit: 'users' });
    }
    // Interrupted: what is checkpointed stays; the rest (and any unflushed import file) is redone on rerun.
    if (ctx.signal.aborted) {
      throw new EngifyError({
        code: 'AUTH_INTERRUPTED',
        kind: 'transient',
        message: msg.interrupted(done),
        hint: msg.rerunHint,
      });
    }
    await flush();
    ctx.journal.checkpoint(STREAM, { after: lastCursor, counts } as unknown as Json, uncheckpointed, true);
    ctx.journal.output('counts', counts);
    ctx.log(msg.applied(counts));
  } finally {
    await s.close();
  }
}

function lambdaName(ctx: StepContext): string {
  return authSettings(ctx.config).lambda.functionName ?? `${ctx.config.project}-user-migration`;
}

async function ensureTable(
  ctx: StepContext,
  idMap: AuthIdMap,
  resource: { kind: string; name: string },
  make: () => Promise<void>,
) {
  const exists = resource === MAP_TABLE ? await idMap.exists() : await idMap.legacyExists();
  // make() is idempotent (IF NOT EXISTS): run on an existing table it adds columns a newer version needs.
  if (exists) return make();
  ctx.journal.intent(resource);
  await make();
  ctx.journal.created(resource);
}

/** The import CSV's shape for the pool, as GetCSVHeader returns it. */
async function readCsvHeader(
  writer: CognitoUserWriter,
  client: CognitoIdentityProviderClient,
  poolId: string,
): Promise<ImportCsv> {
  const { GetCSVHeaderCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  const out = await writer.call(
    () => client.send(new GetCSVHeaderCommand({ UserPoolId: poolId })),
    'GetCSVHeader',
  );
  return new ImportCsv(out.CSVHeader ?? []);
}

const carriesHashes = (csv: ImportCsv) => csv.carriesHashes && csv.header.includes('cognito:username');

async function importCsv(
  writer: CognitoUserWriter,
  client: CognitoIdentityProviderClient,
  poolId: string,
): Promise<ImportCsv> {
  const csv = await readCsvHeader(writer, client, poolId);
  if (!carriesHashes(csv)) {
    throw new EngifyError({
      code: 'AUTH_IMPORT_NO_HASH_COLUMN',
      kind: 'config',
      message: msg.noHashColumn(poolId, csv.header),
      hint: msg.noHashColumnHint,
    });
  }
  return csv;
}

/** What plan says of the CSV header: the hash column's name is not in AWS's documentation we could check. */
async function csvHeaderWarning(s: Session): Promise<{ header?: string[]; warning: string } | undefined> {
  if (s.settings.passwords !== 'import-hashes' || !s.writer || !s.poolId) return undefined;
  try {
    const csv = await readCsvHeader(s.writer, s.cognito, s.poolId);
    return {
      header: csv.header,
      warning: carriesHashes(csv)
        ? msg.csvHeader(s.poolId, csv.header, csv.header[csv.hashColumn] ?? '')
        : msg.noHashColumn(s.poolId, csv.header),
    };
  } catch (error) {
    return {
      warning: msg.csvHeaderUnread(s.poolId, error instanceof EngifyError ? error.message : nameOf(error)),
    };
  }
}

function newPending(ctx: StepContext, csv: ImportCsv): PendingImport {
  const dir = join(ctx.stateDir, 'auth');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `import-${Date.now()}.csv`);
  writeFileSync(path, csv.headerLine(), { mode: 0o600 });
  return { csv, path, bytes: Buffer.byteLength(csv.headerLine()), users: [] };
}

/** createdByTool for a user found existing: ours if the map says so, or if an intent of ours left it there. */
function ours(row: IdMapRow | undefined, existing: ExistingUser, supabaseId: string): boolean {
  if (row?.createdByTool) return true;
  return (
    (row?.status === 'intent' || row?.status === 'lazy') &&
    existing.attributes[SUPABASE_ID_ATTRIBUTE] === supabaseId
  );
}

async function processBatch(
  ctx: StepContext,
  s: Session,
  writer: CognitoUserWriter,
  idMap: AuthIdMap,
  users: SupabaseAuthUser[],
  collisions: Set<string>,
  counts: Counts,
  providers: Set<string>,
  shadowColumns: Set<string> | undefined,
): Promise<{ import: CognitoUserDraft[]; createdAt: Map<string, string | null> }> {
  const strategy = s.settings.passwords;
  const known = await idMap.get(users.map((u) => u.id));
  const admin: CognitoUserDraft[] = [];
  const lazy: CognitoUserDraft[] = [];
  const toImport: CognitoUserDraft[] = [];
  const createdAt = new Map<string, string | null>();
  for (const user of users) {
    createdAt.set(user.id, user.createdAt);
    const mapped = mapUser(user, { ...s.mapping, collisions });
    tallyMapped(counts, mapped);
    if (mapped.outcome !== 'migrate') {
      report(ctx, { supabaseId: mapped.supabaseId, outcome: mapped.outcome, reason: mapped.reason });
      continue;
    }
    for (const i of mapped.issues)
      report(ctx, { supabaseId: user.id, outcome: 'issue', reason: i.issue, detail: i.detail });
    const route = routeOf(s.settings, mapped.user);
    if (mapped.user.password.kind === 'unsupported') bump(counts, `fallback:${s.settings.fallback}`);
    if (route === undefined) continue;
    (route === 'admin' ? admin : route === 'lazy' ? lazy : toImport).push(mapped.user);
  }

  const rows: IdMapRow[] = [];
  const linkable: { username: string; user: CognitoUserDraft }[] = [];
  const importNew: CognitoUserDraft[] = [];

  // Intent rows first: a crash between a create and the map write is recognised on rerun by the user's
  // custom:supabase_id, so the user is still known as ours and rollback can delete it.
  const intents = [...admin, ...toImport]
    .filter((u) => !known.get(u.supabaseId) || known.get(u.supabaseId)?.status === 'intent')
    .map((u) => idMapRow(u, strategy, 'intent', null, null, false));
  await idMap.upsert(intents);

  await forEachConcurrent([...admin, ...toImport, ...lazy], s.settings.concurrency, async (user) => {
    const prior = known.get(user.supabaseId);
    const isNew = !prior || prior.status === 'intent';
    const route: Route = admin.includes(user) ? 'admin' : lazy.includes(user) ? 'lazy' : 'import';
    // Users we have never written are most likely absent: try the create first (one call, not two).
    if (route === 'admin' && !prior) {
      const result = await writer.create(user);
      bump(counts, result.action);
      rows.push({
        ...idMapRow(user, strategy, 'migrated', result.username, result.sub, result.action === 'created'),
        sourceDigest: userDigest(user),
      });
      linkable.push({ username: result.username, user });
      return;
    }
    const existing = await writer.get(user.email);
    if (existing) {
      const result = await writer.update(existing, user);
      bump(counts, result.action);
      rows.push({
        ...idMapRow(
          user,
          strategy,
          'migrated',
          existing.username,
          existing.sub,
          ours(prior, existing, user.supabaseId),
        ),
        sourceDigest: userDigest(user),
      });
      linkable.push({ username: existing.username, user });
      return;
    }
    if (route === 'lazy') {
      bump(counts, 'lazy');
      rows.push(idMapRow(user, strategy, 'lazy', null, null, false));
      return;
    }
    if (route === 'import' && importable(user)) {
      importNew.push(user);
      return;
    }
    if (route === 'import') {
      // Cognito refuses import rows without a verified email or phone: create it for a reset instead.
      bump(counts, 'fallback:unverified-contact');
      report(ctx, { supabaseId: user.supabaseId, outcome: 'issue', reason: 'import-needs-verified-contact' });
    }
    const result = await writer.create(user);
    bump(counts, result.action);
    rows.push({
      ...idMapRow(
        user,
        strategy,
        'migrated',
        result.username,
        result.sub,
        isNew || result.action === 'created',
      ),
      sourceDigest: userDigest(user),
    });
    linkable.push({ username: result.username, user });
  });

  if (lazy.length > 0) {
    await idMap.putLegacy(
      lazy.map((u) => ({
        email: u.email,
        supabaseId: u.supabaseId,
        passwordHash: u.password.kind === 'bcrypt' ? u.password.hash : '',
        attributes: Object.fromEntries(u.attributes.map((a) => [a.Name, a.Value])),
        enabled: u.enabled,
      })),
    );
  }
  await linkIdentities(ctx, s.settings, writer, linkable, providers, counts);
  await writeShadow(ctx, idMap, shadowColumns, rows, createdAt);
  await idMap.upsert(rows);
  return { import: importNew, createdAt };
}

async function linkIdentities(
  ctx: StepContext,
  settings: AuthConfig,
  writer: CognitoUserWriter,
  users: { username: string; user: Pick<CognitoUserDraft, 'supabaseId' | 'identities'> }[],
  providers: Set<string>,
  counts: Counts,
): Promise<void> {
  const work = users.flatMap(({ username, user }) =>
    user.identities.map((identity) => ({ username, user, identity })),
  );
  await forEachConcurrent(work, settings.concurrency, async ({ username, user, identity }) => {
    const provider = cognitoProvider(settings, identity.provider);
    if (!providers.has(provider)) {
      bump(counts, `needs-provider:${provider}`);
      report(ctx, {
        supabaseId: user.supabaseId,
        outcome: 'issue',
        reason: 'needs-provider',
        detail: provider,
      });
      return;
    }
    const result = await writer.link(username, provider, identity.providerUserId);
    bump(counts, result === 'linked' ? 'linked' : 'link-already');
  });
}

async function writeShadow(
  ctx: StepContext,
  idMap: AuthIdMap,
  columns: Set<string> | undefined,
  rows: IdMapRow[],
  createdAt: Map<string, string | null>,
): Promise<void> {
  if (!columns || rows.length === 0) return;
  try {
    const inserted = new Set(
      await idMap.insertShadow(
        columns,
        rows.map((r) => ({
          id: r.supabaseId,
          email: r.email,
          createdAt: createdAt.get(r.supabaseId) ?? null,
        })),
      ),
    );
    for (const r of rows) if (inserted.has(r.supabaseId)) r.shadowRow = true;
  } catch (error) {
    // The db step's auth.users may carry constraints we cannot satisfy; the id map is still complete.
    ctx.log(msg.shadowFailed(nameOf(error) || String((error as Error).message)));
  }
}

async function flushImport(
  ctx: StepContext,
  s: Session,
  writer: CognitoUserWriter,
  idMap: AuthIdMap,
  job: PendingImport,
  counts: Counts,
  providers: Set<string>,
  shadowColumns: Set<string> | undefined,
): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const settings = s.settings;
  const result = await runImportJob({
    client: s.cognito,
    writer,
    poolId: s.poolId ?? '',
    jobName: `engify-${ctx.config.project}-${Date.now()}`.slice(0, 128),
    roleArn: settings.importJob.cloudWatchLogsRoleArn ?? '',
    csv: readFileSync(job.path),
    pollMs: settings.importJob.pollSeconds * 1000,
    timeoutMs: settings.importJob.timeoutMinutes * 60_000,
    signal: ctx.signal,
  });
  // The file holds password hashes: it goes as soon as Cognito has it.
  rmSync(job.path, { force: true });
  bump(counts, 'import:imported', result.imported);
  bump(counts, 'import:skipped', result.skipped);
  bump(counts, 'import:failed', result.failed);
  ctx.log(msg.importJobDone(result.jobId, result.status, result.imported, result.skipped, result.failed));
  report(ctx, {
    outcome: 'import-job',
    jobId: result.jobId,
    status: result.status,
    imported: result.imported,
    skipped: result.skipped,
    failed: result.failed,
  });

  const rows: IdMapRow[] = [];
  const linkable: { username: string; user: Pick<CognitoUserDraft, 'supabaseId' | 'identities'> }[] = [];
  const missing: string[] = [];
  const createdAt = new Map<string, string | null>();
  await forEachConcurrent(job.users, settings.concurrency, async (user) => {
    createdAt.set(user.supabaseId, user.createdAt);
    const existing = await writer.get(user.email);
    if (!existing || existing.attributes[SUPABASE_ID_ATTRIBUTE] !== user.supabaseId) {
      missing.push(user.supabaseId);
      report(ctx, { supabaseId: user.supabaseId, outcome: 'import-failed' });
      return;
    }
    if (!user.enabled && existing.enabled) await writer.setEnabled(existing.username, false);
    rows.push({
      ...idMapRow(user, settings.passwords, 'migrated', existing.username, existing.sub, true),
      sourceDigest: user.digest,
    });
    linkable.push({ username: existing.username, user });
  });
  bump(counts, 'imported', rows.length);
  await linkIdentities(ctx, settings, writer, linkable, providers, counts);
  await writeShadow(ctx, idMap, shadowColumns, rows, createdAt);
  await idMap.upsert(rows);
  // Users the job did not create stay out of the map; a rerun tries them again.
  await idMap.remove(missing);
}

/** Points the pool's UserMigration trigger at the deployed Lambda, keeping every other pool setting. */
async function attachTrigger(
  writer: CognitoUserWriter,
  client: CognitoIdentityProviderClient,
  poolId: string,
  arn: string,
) {
  await updatePoolKeepingTheRest(
    client,
    poolId,
    (pool) =>
      pool.LambdaConfig?.UserMigration === arn
        ? undefined
        : { LambdaConfig: { ...(pool.LambdaConfig ?? {}), UserMigration: arn } },
    (make, what) => writer.call(make, what),
  );
}

// -------------------------------------------------------------------------------------------- verify

async function verify(ctx: StepContext): Promise<Check[]> {
  let s: Session | undefined;
  try {
    s = await open(ctx, { needDb: true });
    if (!s.writer || !s.idMap) return [failed('auth.users: pool', msg.poolNotYet, msg.poolNotYetHint)];
    return await verifyWith(ctx, s, s.writer, s.idMap);
  } catch (error) {
    const e = error instanceof EngifyError ? error : undefined;
    return [
      failed(
        'auth.users: verify',
        ctx.redactor.redact(e?.message ?? String((error as Error)?.message ?? error)),
        e?.hint ?? msg.verifyFailedHint,
      ),
    ];
  } finally {
    await s?.close();
  }
}

function failed(name: string, actual: string, hint: string): Check {
  return { name, expected: 'ok', actual, ok: false, hint };
}

async function verifyWith(
  ctx: StepContext,
  s: Session,
  writer: CognitoUserWriter,
  idMap: AuthIdMap,
): Promise<Check[]> {
  const collisions = await s.source.emailCollisions();
  const expected: Counts = {};
  const actual: Counts = {};
  const missingFromMap: string[] = [];
  const missingInCognito: string[] = [];
  const wrongAttributes: string[] = [];
  const wrongStatus: string[] = [];
  let lazyWithoutHash = 0;
  let legacyExpected = 0;
  for await (const batch of s.source.read({ signal: ctx.signal })) {
    const known = await idMap.get(batch.items.map((u) => u.id));
    const toCheck: { user: CognitoUserDraft; row: IdMapRow }[] = [];
    for (const user of batch.items) {
      const mapped = mapUser(user, { ...s.mapping, collisions });
      if (mapped.outcome !== 'migrate') {
        bump(expected, `${mapped.outcome}:${mapped.reason}`);
        continue;
      }
      const route = routeOf(s.settings, mapped.user);
      if (!route) {
        bump(expected, 'fallback:skip');
        continue;
      }
      bump(expected, 'in-map');
      const row = known.get(user.id);
      if (!row || row.status === 'intent') {
        missingFromMap.push(user.id);
        continue;
      }
      bump(actual, 'in-map');
      bump(actual, `status:${row.status}`);
      if (row.status === 'lazy') legacyExpected++;
      else toCheck.push({ user: mapped.user, row });
    }
    await forEachConcurrent(toCheck, s.settings.concurrency, async ({ user, row }) => {
      const existing = await writer.get(row.cognitoUsername ?? user.email);
      if (!existing) {
        missingInCognito.push(user.supabaseId);
        return;
      }
      const bad = user.attributes.filter((a) => existing.attributes[a.Name] !== a.Value);
      if (bad.length > 0) wrongAttributes.push(`${user.supabaseId} (${bad.map((a) => a.Name).join(', ')})`);
      const statusOk = existing.enabled === user.enabled && existing.status !== 'FORCE_CHANGE_PASSWORD';
      if (!statusOk)
        wrongStatus.push(
          `${user.supabaseId} (${existing.enabled ? 'enabled' : 'disabled'}, ${existing.status})`,
        );
    });
  }
  if (legacyExpected > 0) lazyWithoutHash = Math.max(0, legacyExpected - (await idMap.legacyCount()));

  const sample = (ids: string[]) => (ids.length === 0 ? 0 : `${ids.length}: ${ids.slice(0, 5).join(', ')}`);
  const checks: Check[] = [
    {
      name: 'auth.users: counts by outcome',
      expected: expected as Json,
      actual: actual as Json,
      ok: (expected['in-map'] ?? 0) === (actual['in-map'] ?? 0),
      hint: msg.countsHint,
    },
    {
      name: 'auth.users: id map complete',
      expected: 0,
      actual: sample(missingFromMap),
      ok: missingFromMap.length === 0,
      hint: msg.rerunHint,
    },
    {
      name: 'auth.users: users present in Cognito',
      expected: 0,
      actual: sample(missingInCognito),
      ok: missingInCognito.length === 0,
      hint: msg.rerunHint,
    },
    {
      name: 'auth.users: attributes match',
      expected: 0,
      actual: sample(wrongAttributes),
      ok: wrongAttributes.length === 0,
      hint: msg.rerunHint,
    },
    {
      name: 'auth.users: status (enabled/confirmed)',
      expected: 0,
      actual: sample(wrongStatus),
      ok: wrongStatus.length === 0,
      hint: msg.rerunHint,
    },
  ];
  if (s.settings.passwords === 'lazy') {
    checks.push({
      name: 'auth.users: legacy hashes for lazy users',
      expected: 0,
      actual: lazyWithoutHash,
      ok: lazyWithoutHash === 0,
      hint: msg.rerunHint,
    });
  }
  checks.push(...(await signInChecks(ctx, s, writer)));
  return checks;
}

async function signInChecks(ctx: StepContext, s: Session, writer: CognitoUserWriter): Promise<Check[]> {
  const keeps = s.settings.passwords !== 'reset';
  if (!keeps) {
    return [
      {
        name: 'auth.users: sign-in with a known password',
        expected: 'n/a',
        actual: msg.resetNoSignIn,
        ok: false,
        skipped: true,
      },
    ];
  }
  if (s.settings.verifySignIn.length === 0) {
    return [
      {
        name: 'auth.users: sign-in with a known password',
        expected: 'configured',
        actual: 'none',
        ok: false,
        skipped: true,
        hint: msg.verifySignInHint,
      },
    ];
  }
  if (!s.clientId) return [failed('auth.users: sign-in', msg.noClient, msg.poolNotYetHint)];
  const { InitiateAuthCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  const checks: Check[] = [];
  for (const { email, password } of s.settings.verifySignIn) {
    const name = `auth.users: sign-in ${email.toLowerCase()}`;
    try {
      const out = await writer.call(
        () =>
          s.cognito.send(
            new InitiateAuthCommand({
              AuthFlow: 'USER_PASSWORD_AUTH',
              ClientId: s.clientId,
              AuthParameters: { USERNAME: email.toLowerCase(), PASSWORD: password },
            }),
          ),
        'InitiateAuth',
      );
      const ok = !!out.AuthenticationResult?.IdToken;
      checks.push({
        name,
        expected: 'tokens',
        actual: ok ? 'tokens' : (out.ChallengeName ?? 'no tokens'),
        ok,
        ...(ok ? {} : { hint: msg.signInHint(s.settings.passwords) }),
      });
    } catch (error) {
      const cause = error instanceof EngifyError && error.cause ? error.cause : error;
      checks.push({
        name,
        expected: 'tokens',
        actual: ctx.redactor.redact(nameOf(cause) || 'error'),
        ok: false,
        hint: msg.signInHint(s.settings.passwords),
      });
    }
  }
  return checks;
}

// ------------------------------------------------------------------------------------------ rollback

async function rollback(ctx: StepContext): Promise<void> {
  const s = await open(ctx, { needDb: true });
  try {
    const idMap = s.idMap;
    if (!idMap) return;
    const writer = s.writer;
    let deleted = 0;
    for await (const page of idMap.scan()) {
      const shadow: string[] = [];
      await forEachConcurrent(page, s.settings.concurrency, async (row) => {
        if (row.shadowRow) shadow.push(row.supabaseId);
        if (!writer) return;
        // Only users this tool created, and only if the pool's user still carries this Supabase id.
        const candidate = row.createdByTool || row.status === 'intent' || row.status === 'lazy';
        if (!candidate) return;
        const existing = await writer.get(row.cognitoUsername ?? row.email);
        if (!existing || existing.attributes[SUPABASE_ID_ATTRIBUTE] !== row.supabaseId) return;
        if (await writer.delete(existing.username)) deleted++;
      });
      await idMap.deleteShadow(shadow);
      await idMap.remove(page.map((r) => r.supabaseId));
    }
    for (const resource of ctx.journal.createdResources().reverse()) {
      if (resource.kind === 'pg-table') {
        await s.db?.query(
          `DROP TABLE IF EXISTS ${resource.name === LEGACY_TABLE.name ? LEGACY_TABLE.name : MAP_TABLE.name}`,
        );
        ctx.journal.undone({ resource });
      }
    }
    await idMap.dropSchemaIfEmpty().catch(() => undefined);
    rmSync(join(ctx.stateDir, 'auth', 'user-migration-lambda'), { recursive: true, force: true });
    ctx.journal.undone({ stream: STREAM });
    ctx.log(msg.rolledBack(deleted));
  } finally {
    await s.close();
  }
}

export const authUsersStep: Step<UsersAction> = {
  id: STEP_ID,
  phase: 2,
  component: 'auth',
  title: 'Supabase Auth users into Cognito',
  dependsOn: ['auth.pool'],
  enabled: configured,
  plan,
  apply: (ctx) => apply(ctx),
  verify,
  rollback,
};

export default authUsersStep;
