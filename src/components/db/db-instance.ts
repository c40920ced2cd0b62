import type { RdsInstanceConfig } from '../../config/schema.js';
import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { type InstanceState, OWNER_TAG, type RdsOps, rdsOps } from '../../providers/rds/rds-instances.js';
import { DB_SOURCE_FIELDS, dbSourceOf } from './db-source.js';
import { INSTANCE_STEP } from './target-db.js';

// db.instance (phase 1, when target.rds.instance is set instead of a URL): a DB parameter group for the
// source's major with rds.logical_replication = 1 (reverse sync needs it; static, so it is attached at
// create time and no reboot is needed), then the instance: ManageMasterUserPassword (the password
// lives in Secrets Manager and is read from there at run time, never journaled), deletion protection
// on, backups kept. Apply waits for "available" and journals the endpoint and the secret's ARN, which
// components/db/target-db.ts turns into the connection every later step uses. Everything is refused
// before anything is created when the class is not offered in the region or the version is older
// than the source's. Rollback deletes only what this tool created, only with rollback --yes, with a
// final snapshot unless --skip-final-snapshot.

const GROUP = 'rds-parameter-group';
const INSTANCE = 'rds-instance';
const m = messages.dbInstance;

/** Statuses an instance does not leave by waiting (RDS User Guide, "Viewing Amazon RDS DB instance status"). */
const DEAD_ENDS = new Set([
  'failed',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-restore',
  'inaccessible-encryption-credentials',
  'storage-full',
  'deleting',
]);

function instanceConfig(ctx: StepContext): RdsInstanceConfig {
  const rds = ctx.config.target.rds;
  if (rds?.mode !== 'pg' || !rds.instance)
    throw new EngifyError({
      code: 'CONFIG_SECTION_MISSING',
      kind: 'config',
      message: messages.config.needsSection('target.rds.instance', INSTANCE_STEP),
    });
  return rds.instance;
}

const ops = async (ctx: StepContext): Promise<RdsOps> => rdsOps(await ctx.services.rds());
const groupName = (c: RdsInstanceConfig, major: string) => `${c.identifier.toLowerCase()}-pg${major}`;
const majorOf = (version: string) => version.split('.')[0] as string;
const ours = (ctx: StepContext, tags: Record<string, string>) => tags[OWNER_TAG] === ctx.config.project;
const compareVersions = (a: string, b: string) => {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** The source server's major version (the instance must be at least that). */
async function sourceMajor(ctx: StepContext): Promise<string> {
  const source = dbSourceOf(ctx.config);
  if (!source)
    throw new EngifyError({
      code: 'CONFIG_MISSING',
      kind: 'config',
      message: messages.config.needsSection(DB_SOURCE_FIELDS, INSTANCE_STEP),
    });
  const client = await ctx.services.pg(source.url);
  try {
    const r = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return String(Math.floor(Number(r.rows[0]?.v) / 10_000));
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Desired {
  config: RdsInstanceConfig;
  engineVersion: string;
  group: string;
  family: string;
}

/** The version to create and every refusal that must come before anything is created. */
async function desired(ctx: StepContext, rds: RdsOps): Promise<Desired> {
  const c = instanceConfig(ctx);
  const region = ctx.config.target.aws.region;
  const source = await sourceMajor(ctx);
  const want = c.engineVersion ?? source;
  if (compareVersions(majorOf(want), source) < 0)
    throw new EngifyError({
      code: 'DB_INSTANCE_VERSION_OLDER',
      kind: 'config',
      message: m.versionOlder(want, source),
      hint: m.versionOlderHint(source),
    });
  const offered = (await rds.engineVersions(majorOf(want))).sort(compareVersions);
  const engineVersion = want.includes('.') ? offered.find((v) => v === want) : offered[offered.length - 1];
  if (!engineVersion)
    throw new EngifyError({
      code: 'DB_INSTANCE_VERSION_NOT_OFFERED',
      kind: 'config',
      message: m.versionNotOffered(want, region, offered),
      hint: m.versionNotOfferedHint,
    });
  if (!(await rds.classOffered(c.class, engineVersion)))
    throw new EngifyError({
      code: 'DB_INSTANCE_CLASS_NOT_OFFERED',
      kind: 'config',
      message: m.classNotOffered(c.class, engineVersion, region),
      hint: m.classNotOfferedHint,
    });
  const major = majorOf(engineVersion);
  return { config: c, engineVersion, group: groupName(c, major), family: `postgres${major}` };
}

const mine = (ctx: StepContext, kind: string) => ctx.journal.createdResources().find((r) => r.kind === kind);

/** An existing instance of that name: ours (journaled, or tagged after a crash mid-create), or a collision. */
function owned(ctx: StepContext, found: InstanceState | undefined, kind: string, name: string): boolean {
  if (!found) return false;
  if (mine(ctx, kind)?.name === name) return true;
  // Tagged for this project: ours, also after a crash between CreateDBInstance and the journal's record.
  if (ours(ctx, found.tags)) return true;
  throw new EngifyError({
    code: 'DB_INSTANCE_COLLISION',
    kind: 'config',
    message: m.collision(name),
    hint: m.collisionHint,
  });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

async function waitAvailable(ctx: StepContext, rds: RdsOps, c: RdsInstanceConfig): Promise<InstanceState> {
  const started = Date.now();
  let last = '';
  for (let polls = 1; ; polls++) {
    const state = await rds.describeInstance(c.identifier);
    const status = state?.status ?? 'missing';
    if (status !== last) ctx.log(m.waiting(c.identifier, status));
    last = status;
    ctx.progress({ done: polls, unit: `polls (${c.identifier}: ${status})` });
    if (state && status === 'available' && state.endpoint) return state;
    if (!state || DEAD_ENDS.has(status))
      throw new EngifyError({
        code: 'DB_INSTANCE_FAILED',
        kind: 'system',
        message: m.failed(c.identifier, status),
        hint: m.failedHint,
      });
    if (ctx.signal.aborted || Date.now() - started > c.timeoutMs)
      throw new EngifyError({
        code: 'DB_INSTANCE_TIMEOUT',
        kind: 'transient',
        message: m.timeout(c.identifier, status, c.timeoutMs),
        hint: m.timeoutHint,
      });
    await sleep(c.pollIntervalMs, ctx.signal);
  }
}

const tags = (ctx: StepContext) => ({ [OWNER_TAG]: ctx.config.project });

async function ensureGroup(ctx: StepContext, rds: RdsOps, d: Desired): Promise<void> {
  const found = await rds.describeParameterGroup(d.group);
  const resource: CreatedResource = { kind: GROUP, name: d.group };
  if (found) {
    if (!ours(ctx, found.tags))
      throw new EngifyError({
        code: 'DB_PARAMETER_GROUP_COLLISION',
        kind: 'config',
        message: m.groupCollision(d.group),
        hint: m.groupCollisionHint,
      });
    if (mine(ctx, GROUP)?.name !== d.group) ctx.journal.created(resource);
    // A crash between create and modify leaves the group without the setting: set it again.
    if ((await rds.parameterValue(d.group, 'rds.logical_replication')) !== '1')
      await rds.setLogicalReplication(d.group);
    return;
  }
  ctx.journal.intent(resource);
  await rds.createParameterGroup(
    d.group,
    d.family,
    `engify-migrate ${ctx.config.project}: logical replication for reverse sync`,
    tags(ctx),
  );
  ctx.journal.created(resource);
}

async function ensureInstance(ctx: StepContext, rds: RdsOps, d: Desired): Promise<void> {
  const c = d.config;
  const found = await rds.describeInstance(c.identifier);
  const resource: CreatedResource = { kind: INSTANCE, name: c.identifier };
  if (owned(ctx, found, INSTANCE, c.identifier)) {
    if (mine(ctx, INSTANCE)?.name !== c.identifier) ctx.journal.created(resource);
  } else {
    ctx.journal.intent(resource);
    await rds.createInstance({
      identifier: c.identifier,
      instanceClass: c.class,
      engineVersion: d.engineVersion,
      storageGb: c.storageGb,
      storageType: c.storageType,
      database: c.database,
      masterUsername: c.masterUsername,
      parameterGroup: d.group,
      backupRetentionDays: c.backupRetentionDays,
      ...(c.securityGroupIds ? { securityGroupIds: c.securityGroupIds } : {}),
      ...(c.subnetGroup ? { subnetGroup: c.subnetGroup } : {}),
      ...(c.publiclyAccessible !== undefined ? { publiclyAccessible: c.publiclyAccessible } : {}),
      tags: tags(ctx),
    });
    ctx.journal.created(resource);
  }
  const ready = await waitAvailable(ctx, rds, c);
  const endpoint = ready.endpoint as { address: string; port: number };
  const before = ctx.journal.outputOf(INSTANCE_STEP, 'endpoint');
  if (before?.address !== endpoint.address || before.port !== endpoint.port) {
    ctx.journal.output('identifier', c.identifier);
    ctx.journal.output('engineVersion', ready.engineVersion);
    ctx.journal.output('parameterGroup', ready.parameterGroup ?? d.group);
    ctx.journal.output('secretArn', ready.secretArn ?? '');
    ctx.journal.output('endpoint', endpoint);
  }
  ctx.log(m.available(c.identifier, `${endpoint.address}:${endpoint.port}`, ready.engineVersion));
}

async function waitGone(ctx: StepContext, rds: RdsOps, c: RdsInstanceConfig): Promise<void> {
  const started = Date.now();
  while ((await rds.describeInstance(c.identifier)) !== undefined) {
    if (ctx.signal.aborted || Date.now() - started > c.timeoutMs)
      throw new EngifyError({
        code: 'DB_INSTANCE_TIMEOUT',
        kind: 'transient',
        message: m.timeout(c.identifier, 'deleting', c.timeoutMs),
        hint: m.timeoutHint,
      });
    await sleep(c.pollIntervalMs, ctx.signal);
  }
}

const finalSnapshotId = (id: string) =>
  `${id}-final-${new Date().toISOString().replace(/[:.]/g, '-').toLowerCase()}`.slice(0, 255);

/** The instance rollback would delete (created, or intended and tagged ours), by name. */
function instanceToUndo(ctx: StepContext): string | undefined {
  return (mine(ctx, INSTANCE) ?? ctx.journal.pendingIntents().find((r) => r.kind === INSTANCE))?.name;
}

type InstanceDetails = {
  identifier: string;
  class: string;
  engineVersion: string;
  storageGb: number;
  storageType: string;
  backupRetentionDays: number;
  parameterGroup: string;
  securityGroupIds: string[] | null;
};
/** The parameter group, and the instance with the settings plan showed (apply creates exactly those). */
type InstanceAction = PlannedAction<'group', { name: string }> | PlannedAction<'instance', InstanceDetails>;

export const dbInstanceStep: Step<InstanceAction> = {
  id: INSTANCE_STEP,
  phase: 1,
  component: 'db',
  title: m.stepTitle,
  dependsOn: [],
  enabled: (config) => config.target.rds?.mode === 'pg' && config.target.rds.instance !== undefined,

  async plan(ctx) {
    const rds = await ops(ctx);
    const d = await desired(ctx, rds);
    const c = d.config;
    const group = await rds.describeParameterGroup(d.group);
    if (group && !ours(ctx, group.tags))
      throw new EngifyError({
        code: 'DB_PARAMETER_GROUP_COLLISION',
        kind: 'config',
        message: m.groupCollision(d.group),
        hint: m.groupCollisionHint,
      });
    const found = await rds.describeInstance(c.identifier);
    const have = owned(ctx, found, INSTANCE, c.identifier);
    const network = c.securityGroupIds ? [] : [m.networkTool(c.identifier), m.networkApp];
    const details: InstanceDetails = {
      identifier: c.identifier,
      class: c.class,
      engineVersion: d.engineVersion,
      storageGb: c.storageGb,
      storageType: c.storageType,
      backupRetentionDays: c.backupRetentionDays,
      parameterGroup: d.group,
      securityGroupIds: c.securityGroupIds ?? null,
    };
    return [
      group
        ? {
            action: 'noop',
            resource: `db parameter group ${d.group}`,
            subject: 'group',
            summary: 'in step',
            details: { name: d.group },
          }
        : {
            action: 'create',
            resource: `db parameter group ${d.group}`,
            subject: 'group',
            summary: m.planGroup(d.group, d.family),
            details: { name: d.group },
          },
      have && found?.status === 'available'
        ? {
            action: 'noop',
            resource: `rds instance ${c.identifier}`,
            subject: 'instance',
            summary: `available (PostgreSQL ${found.engineVersion}, ${found.instanceClass})`,
            details,
          }
        : {
            action: have ? 'update' : 'create',
            resource: `rds instance ${c.identifier}`,
            subject: 'instance',
            summary: have
              ? `wait for ${c.identifier} (now "${found?.status}") to be available`
              : m.planCreate(c.identifier, c.class, c.storageGb, c.storageType, d.engineVersion),
            details,
            ...(network.length ? { warnings: network } : {}),
          },
    ] satisfies InstanceAction[];
  },

  async apply(ctx, change) {
    const rds = await ops(ctx);
    const d = await desired(ctx, rds);
    if (change.subject === 'group') {
      if (change.action !== 'noop') await ensureGroup(ctx, rds, d);
      return;
    }
    // The engine version is worked out from the source at run time: another one than plan showed
    // (the source was upgraded in between) is not what was reviewed.
    if (change.details.engineVersion !== d.engineVersion || change.details.parameterGroup !== d.group)
      throw planDrift(
        this.id,
        change.resource,
        `PostgreSQL ${change.details.engineVersion}`,
        `PostgreSQL ${d.engineVersion}`,
      );
    await ensureGroup(ctx, rds, d);
    await ensureInstance(ctx, rds, d);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const c = instanceConfig(ctx);
      const state = await (await ops(ctx)).describeInstance(c.identifier);
      checks.push({
        name: `rds instance ${c.identifier}`,
        expected: 'available',
        actual: state?.status ?? 'missing',
        ok: state?.status === 'available',
      });
      if (state) {
        checks.push({
          name: `rds instance ${c.identifier} deletion protection`,
          expected: true,
          actual: state.deletionProtection,
          ok: state.deletionProtection,
        });
        const group = ctx.journal.outputOf(INSTANCE_STEP, 'parameterGroup');
        const value = group
          ? await (await ops(ctx)).parameterValue(group, 'rds.logical_replication')
          : undefined;
        checks.push({
          name: `parameter group ${group ?? '?'} rds.logical_replication`,
          expected: '1',
          actual: value ?? null,
          ok: value === '1',
        });
      }
    } catch (error) {
      checks.push({
        name: 'rds instance',
        expected: 'readable',
        actual: error instanceof Error ? error.message : String(error),
        ok: false,
      });
    }
    return checks;
  },

  rollbackDestroys(ctx) {
    const id = instanceToUndo(ctx);
    if (!id) return undefined;
    const snapshot = ctx.rollbackFlags?.skipFinalSnapshot ? null : `${id}-final-<time>`;
    return m.rollbackConfirm(id, snapshot);
  },

  async rollback(ctx) {
    const rds = await ops(ctx);
    const c = instanceConfig(ctx);
    const id = instanceToUndo(ctx);
    if (id) {
      if (!ctx.rollbackFlags?.yes)
        throw new EngifyError({
          code: 'ROLLBACK_NEEDS_YES',
          kind: 'config',
          message: m.rollbackNeedsYes(id),
          hint: m.rollbackNeedsYesHint(id),
        });
      const state = await rds.describeInstance(id);
      const resource = mine(ctx, INSTANCE) ?? { kind: INSTANCE, name: id };
      if (!state) ctx.log(m.gone(id));
      else if (!mine(ctx, INSTANCE) && !ours(ctx, state.tags)) {
        // Intended but never made by us (the name belonged to someone else): never touched.
        ctx.log(m.protectedNotOurs(id));
      } else {
        if (state.status !== 'deleting') {
          if (state.deletionProtection) await rds.setDeletionProtection(id, false);
          // RDS deletes an instance in failed / incompatible-restore / incompatible-network only with
          // SkipFinalSnapshot (DeleteDBInstance reference): there is nothing to snapshot then.
          const broken = ['failed', 'incompatible-restore', 'incompatible-network'].includes(state.status);
          const snapshot = ctx.rollbackFlags.skipFinalSnapshot || broken ? null : finalSnapshotId(id);
          await rds.deleteInstance(id, snapshot);
          ctx.log(m.deleted(id, snapshot));
        }
        await waitGone(ctx, rds, { ...c, identifier: id });
      }
      ctx.journal.undone({ resource });
      for (const r of ctx.journal.pendingIntents())
        if (r.kind === INSTANCE) ctx.journal.undone({ resource: r });
    }
    for (const r of [...ctx.journal.createdResources(), ...ctx.journal.pendingIntents()].filter(
      (x) => x.kind === GROUP,
    )) {
      await rds.deleteParameterGroup(r.name);
      ctx.journal.undone({ resource: r });
    }
  },

  async verifyRollback(ctx) {
    const checks: Check[] = [];
    const rds = await ops(ctx);
    for (const r of ctx.journal.records()) {
      if (r.type !== 'undone' || !r.resource) continue;
      const gone =
        r.resource.kind === INSTANCE
          ? (await rds.describeInstance(r.resource.name)) === undefined
          : (await rds.describeParameterGroup(r.resource.name)) === undefined;
      checks.push({
        name: `${r.resource.kind} ${r.resource.name} deleted`,
        expected: true,
        actual: gone,
        ok: gone,
      });
    }
    return checks;
  },
};
