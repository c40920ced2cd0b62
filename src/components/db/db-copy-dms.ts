import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { Client } from 'pg';
import type { Config } from '../../config/schema.js';
import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import type { SqlExecutor } from '../../core/sql-executor.js';
import type { StepContext } from '../../core/step.js';
import {
  createEndpoint,
  createReplicationConfig,
  deleteEndpoint,
  deleteReplicationConfig,
  describeReplication,
  findEndpoint,
  findReplicationConfig,
  isQuotaError,
  type ReplicationState,
  startReplication,
  stopReplication,
  tableStatistics,
} from '../../providers/dms/replication.js';
import { readSequences, readSequenceValues, readTables, tableKey } from '../../providers/postgres/catalog.js';
import { setSequences } from '../../providers/postgres/load/sequences.js';
import { splitTable } from '../../providers/postgres/ranges.js';
import { OWNER_TAG, type SecretStore, secretsManagerStore } from '../../providers/secrets/secret-store.js';
import { type DmsPlan, dmsTargetUrl } from './db-copy-path.js';
import { rangesOutput, storedRanges, tableStream } from './db-copy-run.js';
import { dbSourceOf } from './db-source.js';

// db.copy with engine "dms": AWS DMS Serverless moves the rows (db.schema created the tables; DMS
// prepares nothing, DO_NOTHING), this tool creates and journals everything around it (two secrets, two
// endpoints, one replication config), starts it once, follows its table statistics, then builds
// indexes and constraints and sets sequences, which DMS does not carry. A rerun finds the replication
// by the ARN the journal holds and never starts a second one: a failed one is resumed, a running one
// waited for. Rollback deletes what the journal says this created.

const STEP_ID = 'db.copy';
const msg = messages.dms;

export const DMS_OUTPUT = {
  engine: 'engine',
  arn: 'dmsReplicationArn',
  configId: 'dmsConfigId',
  tables: 'dmsTables',
  started: 'dmsStarted',
} as const;

/** The copy ran through DMS (the journal says so): sync and cutover use DMS, not db.copy's slot. */
export const dmsEngaged = (ctx: StepContext) => ctx.journal.outputOf(STEP_ID, DMS_OUTPUT.engine) === 'dms';

export const dmsPrefix = (config: Config) =>
  config.target.dms?.identifierPrefix ?? `engify-${config.project}`;
const slotName = (config: Config) => `engify_dms_${config.project.replaceAll('-', '_')}`.slice(0, 63);

export interface DmsLinks {
  connectSource(): Promise<Client>;
  openExecutor(): Promise<SqlExecutor>;
  postLoad(source: Client, targets: SqlExecutor[]): Promise<number>;
}

function secretJson(url: string): string {
  const u = new URL(url);
  return JSON.stringify({
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    host: u.hostname,
    port: Number(u.port || '5432'),
  });
}
const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1) || 'postgres');

/** Quota refusals get their own message; everything else goes up as it came. */
async function guarded<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isQuotaError(error))
      throw new EngifyError({
        code: 'DMS_QUOTA',
        kind: 'config',
        message: msg.quota(operation, (error as Error).message),
        hint: msg.quotaHint,
        cause: error,
      });
    throw error;
  }
}

const recorded = (ctx: StepContext, kind: string, name: string): CreatedResource | undefined =>
  [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()].find(
    (r) => r.kind === kind && r.name === name,
  );

/** Find what this tool made before (journal first, then by its name), or make it, journaled around the call. */
async function ensure(
  ctx: StepContext,
  kind: string,
  name: string,
  find: () => Promise<string | undefined>,
  make: () => Promise<string>,
): Promise<string> {
  const created = ctx.journal.createdResources().find((r) => r.kind === kind && r.name === name);
  if (created?.id) return created.id;
  const found = await find();
  if (found) {
    // Only an intent of ours explains a resource of this name that the journal does not hold as created.
    if (!recorded(ctx, kind, name))
      throw new EngifyError({
        code: 'DMS_NAME_TAKEN',
        kind: 'config',
        message: `A DMS/Secrets Manager resource named ${name} exists and this migration did not create it.`,
        hint: 'Set target.dms.identifierPrefix to a prefix of your own, or delete the resource if it is left from an earlier migration.',
      });
    ctx.journal.created({ kind, name, id: found });
    return found;
  }
  ctx.journal.intent({ kind, name });
  const id = await make();
  ctx.journal.created({ kind, name, id });
  return id;
}

async function secret(ctx: StepContext, store: SecretStore, name: string, url: string): Promise<string> {
  return ensure(
    ctx,
    'dms-secret',
    name,
    async () => {
      const d = await store.describe(name);
      return d.exists && d.tagged ? d.arn : undefined;
    },
    async () => {
      await store.create(name, secretJson(url), { [OWNER_TAG]: ctx.config.project });
      const arn = (await store.describe(name)).arn;
      if (!arn) throw new Error(`secret ${name} has no ARN after CreateSecret`);
      return arn;
    },
  );
}

export async function applyDms(ctx: StepContext, plan: DmsPlan, links: DmsLinks): Promise<void> {
  const config = ctx.config;
  const dms = config.target.dms;
  const sourceUrl = dms?.sourceUrl ?? dbSourceOf(config)?.url;
  const targetUrl = dmsTargetUrl(config);
  if (!dms || !sourceUrl || !targetUrl)
    throw new EngifyError({
      code: 'DMS_NOT_POSSIBLE',
      kind: 'config',
      message: msg.notPossible([msg.notConfigured]),
      hint: msg.notPossibleHint,
    });
  const client = await ctx.services.dms();
  const store = await secretsManagerStore(await ctx.services.secretsManager(), config.project);
  const prefix = dmsPrefix(config);
  const tags = { [OWNER_TAG]: config.project };

  ctx.journal.output(DMS_OUTPUT.engine, 'dms');
  ctx.journal.output(
    DMS_OUTPUT.tables,
    plan.tables.map((t) => `${t.schema}.${t.name}`),
  );
  // The tables DMS writes into: rollback empties them (and only them), as for the local copy.
  for (const t of plan.tables) {
    const name = `${t.schema}.${t.name}`;
    if (!recorded(ctx, 'table-data', name)) ctx.journal.created({ kind: 'table-data', name });
  }

  const sourceSecret = await guarded('CreateSecret', () =>
    secret(ctx, store, `${prefix}-dms-source`, sourceUrl),
  );
  const targetSecret = await guarded('CreateSecret', () =>
    secret(ctx, store, `${prefix}-dms-target`, targetUrl),
  );
  const endpoint = (side: 'source' | 'target', secretArn: string, url: string) =>
    guarded('CreateEndpoint', () =>
      ensure(
        ctx,
        'dms-endpoint',
        `${prefix}-${side}`,
        () => findEndpoint(client, `${prefix}-${side}`),
        () =>
          createEndpoint(client, {
            identifier: `${prefix}-${side}`,
            type: side,
            database: databaseOf(url),
            secretArn,
            secretsRoleArn: dms.secretsAccessRoleArn,
            // The schema is this tool's (db.schema): DMS captures no DDL and so installs no event trigger.
            settings:
              side === 'source'
                ? {
                    PluginName: plan.plugin === 'pglogical' ? 'pglogical' : 'test-decoding',
                    SlotName: slotName(config),
                    CaptureDdls: false,
                  }
                : {},
            tags,
          }),
      ),
    );
  const sourceArn = await endpoint('source', sourceSecret, sourceUrl);
  const targetArn = await endpoint('target', targetSecret, targetUrl);
  const arn = await guarded('CreateReplicationConfig', () =>
    ensure(
      ctx,
      'dms-replication',
      prefix,
      () => findReplicationConfig(client, prefix),
      () =>
        createReplicationConfig(client, {
          identifier: prefix,
          sourceEndpointArn: sourceArn,
          targetEndpointArn: targetArn,
          type: plan.mode,
          maxCapacityUnits: dms.maxCapacityUnits,
          ...(dms.replicationSubnetGroupId ? { subnetGroupId: dms.replicationSubnetGroupId } : {}),
          securityGroupIds: dms.vpcSecurityGroupIds,
          tableMappings: tableMappings(plan),
          settings: replicationSettings(plan),
          tags,
        }),
    ),
  );
  ctx.journal.output(DMS_OUTPUT.arn, arn);
  ctx.journal.output(DMS_OUTPUT.configId, prefix);

  await startOrResume(ctx, client, arn);
  await waitForFullLoad(ctx, client, arn, plan);

  const source = await links.connectSource();
  const executor = await links.openExecutor();
  try {
    // Key ranges for verify, split as the local copy splits and journaled the same way, so parity is
    // checked range by range, not one checksum per table (read after the load: DMS has no snapshot of ours).
    const schemas = dbSourceOf(config)?.schemas ?? ['public'];
    const wanted = new Set(plan.tables.map((t) => `${t.schema}.${t.name}`));
    const copy = config.target.rds?.copy;
    for (const t of (await readTables(source, schemas)).filter((x) => wanted.has(tableKey(x)))) {
      if (storedRanges(ctx.journal, STEP_ID, t)) continue;
      const ranges = await splitTable(source, t, {
        splitBytes: copy?.splitBytes ?? 32 * 1024 * 1024,
        maxRanges: copy?.maxRangesPerTable ?? 32,
        jobs: config.jobs,
      });
      ctx.journal.output(
        rangesOutput(t),
        ranges.map((r) => ({ lo: r.lo, hi: r.hi })),
      );
    }
    if (!ctx.journal.lastCheckpoint('postload')?.done) {
      const built = await links.postLoad(source, [executor]);
      ctx.log(messages.dbCopy.postLoadBuilt(built));
      ctx.journal.checkpoint('postload', null, built, true);
    }
    // DMS does not move sequence positions.
    const values = await readSequenceValues(source, await readSequences(source, schemas));
    const set = await setSequences(executor, values);
    ctx.journal.checkpoint(
      'sequences',
      values.map((v) => `${v.schema}.${v.name}`),
      set,
      true,
    );
    ctx.log(messages.dbCopy.sequencesSet(set));
  } finally {
    await source.end().catch(() => undefined);
    await executor.close().catch(() => undefined);
  }
}

export function tableMappings(plan: DmsPlan) {
  return {
    rules: plan.tables.map((t, i) => ({
      'rule-type': 'selection',
      'rule-id': String(i + 1),
      'rule-name': `include-${i + 1}`,
      'object-locator': { 'schema-name': t.schema, 'table-name': t.name },
      'rule-action': 'include',
    })),
  };
}

export function replicationSettings(plan: DmsPlan) {
  return {
    TargetMetadata: plan.lob.support
      ? {
          SupportLobs: true,
          FullLobMode: true,
          LimitedSizeLobMode: false,
          LobChunkSize: plan.lob.inlineKb,
          InlineLobMaxSize: plan.lob.inlineKb,
        }
      : { SupportLobs: false },
    FullLoadSettings: { TargetTablePrepMode: 'DO_NOTHING' },
    Logging: { EnableLogging: true },
  };
}

async function startOrResume(
  ctx: StepContext,
  client: DatabaseMigrationServiceClient,
  arn: string,
): Promise<void> {
  const state = await describeReplication(client, arn);
  const started = ctx.journal.outputOf(STEP_ID, DMS_OUTPUT.started) === true;
  const status = state?.status;
  if (status === 'running' || status === 'starting' || status === 'provisioning') {
    ctx.log(msg.resumed(arn));
    return;
  }
  if (!started && (status === undefined || status === 'created')) {
    await guarded('StartReplication', () => startReplication(client, arn, 'start-replication'));
    ctx.journal.output(DMS_OUTPUT.started, true);
    ctx.log(msg.started(arn));
    return;
  }
  if (state?.fullLoadFinished && status === 'stopped') return;
  // Failed or stopped mid-load: resume-processing carries on with the tables not yet loaded.
  ctx.log(
    `${msg.resumed(arn)}${state?.failureMessages[0] ? ` (was ${status}: ${state.failureMessages[0]})` : ''}`,
  );
  await guarded('StartReplication', () => startReplication(client, arn, 'resume-processing'));
  ctx.journal.output(DMS_OUTPUT.started, true);
}

function failure(arn: string, state: ReplicationState): EngifyError {
  return new EngifyError({
    code: 'DMS_REPLICATION_FAILED',
    kind: 'system',
    message: msg.failed(
      arn,
      state.status ?? 'failed',
      [state.stopReason, ...state.failureMessages].filter(Boolean).join(': ') || 'no reason given',
    ),
    hint: msg.failedHint,
  });
}

async function waitForFullLoad(
  ctx: StepContext,
  client: DatabaseMigrationServiceClient,
  arn: string,
  plan: DmsPlan,
) {
  const pollMs = (ctx.config.target.dms?.pollSeconds ?? 15) * 1000;
  const total = plan.tables.length;
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
    const state = await describeReplication(client, arn);
    if (!state)
      throw failure(arn, {
        status: 'deleted',
        failureMessages: ['the replication config is gone'],
        tablesLoaded: 0,
        tablesLoading: 0,
        tablesQueued: 0,
        tablesErrored: 0,
        fullLoadFinished: false,
        progressPercent: 0,
      });
    for (const t of await tableStatistics(client, arn)) {
      const stream = tableStream({ schema: t.schema, name: t.table });
      if (t.state === 'Table completed' && !ctx.journal.lastCheckpoint(stream)?.done)
        ctx.journal.checkpoint(stream, null, t.fullLoadRows, true);
    }
    ctx.progress({ done: state.tablesLoaded, total, unit: 'tables' });
    if (state.status === 'failed') throw failure(arn, state);
    if (state.fullLoadFinished) return;
    if (state.status === 'stopped') throw failure(arn, state);
    ctx.log(msg.waiting(state.status ?? 'starting', state.tablesLoaded, total));
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Cutover, after the drain: the replication stops (the target takes writes from here). */
export async function stopDmsReplication(ctx: StepContext, say: (m: string) => void): Promise<void> {
  const arn = ctx.journal.outputOf(STEP_ID, DMS_OUTPUT.arn);
  if (typeof arn !== 'string') return;
  await stopReplication(await ctx.services.dms(), arn);
  say(msg.stopped(arn));
}

/** Rollback: the replication, then the endpoints, then the secrets, each only if the journal has it. */
export async function rollbackDms(ctx: StepContext): Promise<void> {
  const mine = [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()];
  const of = (kind: string) => mine.filter((r) => r.kind === kind);
  if (of('dms-replication').length + of('dms-endpoint').length + of('dms-secret').length === 0) return;
  const client = await ctx.services.dms();
  for (const r of of('dms-replication')) {
    const arn = r.id ?? (await findReplicationConfig(client, r.name));
    if (arn) {
      await stopReplication(client, arn);
      await deleteReplicationConfig(client, arn);
    }
    ctx.journal.undone({ resource: r });
  }
  for (const r of of('dms-endpoint')) {
    const arn = r.id ?? (await findEndpoint(client, r.name));
    if (arn) await deleteEndpoint(client, arn);
    ctx.journal.undone({ resource: r });
  }
  if (of('dms-secret').length > 0) {
    const store = await secretsManagerStore(await ctx.services.secretsManager(), ctx.config.project);
    for (const r of of('dms-secret')) {
      await store.delete(r.name);
      ctx.journal.undone({ resource: r });
    }
  }
  for (const k of [DMS_OUTPUT.started, DMS_OUTPUT.arn, DMS_OUTPUT.engine]) ctx.journal.output(k, null);
}
