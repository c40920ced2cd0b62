import type { Client as PgClient } from 'pg';
import type { Config, RdsConfig } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import type { JournalRecord } from '../../core/journal-record.js';
import { messages } from '../../core/messages.js';
import { createServices, type Services } from '../../core/services.js';
import type { SqlExecutor } from '../../core/sql-executor.js';
import type { StepJournal } from '../../core/step.js';
import { createPgExecutor } from '../../providers/postgres/pg-executor.js';
import { secretsManagerStore } from '../../providers/secrets/secret-store.js';
import './db-outputs.js';

// The one way to the target database. Everything that reads or writes the target asks this for a
// TargetDb: the connection comes from target.rds.url, from db.instance's journaled endpoint plus the
// managed secret read from Secrets Manager at run time (the password is never journaled or printed),
// or from the Data API's ARNs. Callers branch on what the target can do (capabilities), never on which
// kind of configuration produced it.

export interface TargetCapabilities {
  /** COPY FROM STDIN (bulk load); without it, rows go in as batched INSERTs. */
  copy: boolean;
  /** Replication slots, publications and replication connections (reverse sync, CDC). */
  logicalReplication: boolean;
  /** A session of its own (SET, temp tables, a pg client the caller drives). */
  sessionSql: boolean;
}

/** How the application reaches the database (what hosting.env writes into its environment). */
export type AppConnection =
  | { kind: 'url'; url: string }
  | { kind: 'data-api'; resourceArn: string; secretArn: string; database: string };

export interface TargetDb {
  database: string;
  /** For messages: "host:port" or the cluster ARN. */
  host: string;
  /** The config field a user checks when the target is wrong. */
  field: string;
  createDatabase: boolean;
  copySettings: RdsConfig['copy'];
  capabilities: TargetCapabilities;
  app: AppConnection;
  /** The direct connection URL, password included (a secret: never plan, journal or log it). */
  url?: string;
  executor(options?: { database?: string; signal?: AbortSignal }): Promise<SqlExecutor>;
  /** A direct connection (sessionSql targets); the caller ends it. Throws otherwise. */
  connect(options?: { database?: string; replication?: boolean }): Promise<PgClient>;
}

export interface TargetDbContext {
  config: Config;
  services: Services;
  journal: Pick<StepJournal, 'outputOf'>;
  redactor?: { add(secret: string): void };
}

export const INSTANCE_STEP = 'db.instance';

const DIRECT: TargetCapabilities = { copy: true, logicalReplication: true, sessionSql: true };
const DATA_API: TargetCapabilities = { copy: false, logicalReplication: false, sessionSql: false };

export function requireRds(config: Config, stepId: string): RdsConfig {
  const rds = config.target.rds;
  if (!rds)
    throw new EngifyError({
      code: 'CONFIG_SECTION_MISSING',
      kind: 'config',
      message: messages.config.needsSection('target.rds', stepId),
    });
  return rds;
}

const hostPort = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return 'the configured host';
  }
};

/** The target database's name without connecting (plans, resource names). */
export function targetDatabaseName(rds: RdsConfig): string {
  if (rds.mode === 'data-api') return rds.database;
  if (rds.instance) return rds.instance.database;
  const name = decodeURIComponent(new URL(rds.url as string).pathname.replace(/^\//, ''));
  return name || 'postgres';
}

/** The capabilities the configured target will have, without connecting (plans). */
export function targetCapabilities(rds: RdsConfig): TargetCapabilities {
  return rds.mode === 'data-api' ? DATA_API : DIRECT;
}

// One read of a secret per session (its Services): db.copy opens an executor per parallel job. RDS
// rotates the managed secret (every 7 days by default); a later session reads the new value.
const secretReads = new WeakMap<Services, Map<string, Promise<string | undefined>>>();

function readSecret(ctx: TargetDbContext, arn: string): Promise<string | undefined> {
  let reads = secretReads.get(ctx.services);
  if (!reads) {
    reads = new Map();
    secretReads.set(ctx.services, reads);
  }
  const cache = reads;
  let read = cache.get(arn);
  if (!read) {
    read = (async () =>
      (await secretsManagerStore(await ctx.services.secretsManager(), ctx.config.project)).get(arn))();
    // A failed read is not kept: the next caller asks again.
    read.catch(() => cache.delete(arn));
    cache.set(arn, read);
  }
  return read;
}

/** Reads the managed master secret ({"username","password"}) db.instance recorded the ARN of. */
async function instanceUrl(ctx: TargetDbContext, database: string): Promise<string> {
  const endpoint = ctx.journal.outputOf(INSTANCE_STEP, 'endpoint');
  const secretArn = ctx.journal.outputOf(INSTANCE_STEP, 'secretArn');
  const identifier = ctx.config.target.rds?.mode === 'pg' ? ctx.config.target.rds.instance?.identifier : '';
  if (!endpoint || !secretArn)
    throw new EngifyError({
      code: 'DB_INSTANCE_NOT_READY',
      kind: 'config',
      message: messages.dbInstance.notProvisioned(identifier ?? ''),
      hint: messages.dbInstance.notProvisionedHint,
    });
  let raw: string | undefined;
  try {
    raw = await readSecret(ctx, secretArn);
  } catch (error) {
    throw new EngifyError({
      code: 'DB_INSTANCE_SECRET_UNREADABLE',
      kind: 'config',
      message: messages.dbInstance.secretUnreadable(
        secretArn,
        error instanceof Error ? error.name : String(error),
      ),
      hint: messages.dbInstance.secretUnreadableHint,
      cause: error,
    });
  }
  let parsed: { username?: unknown; password?: unknown } = {};
  try {
    parsed = raw ? (JSON.parse(raw) as typeof parsed) : {};
  } catch {
    parsed = {};
  }
  if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string')
    throw new EngifyError({
      code: 'DB_INSTANCE_SECRET_UNREADABLE',
      kind: 'config',
      message: messages.dbInstance.secretUnreadable(
        secretArn,
        raw === undefined ? 'not found' : 'no username/password',
      ),
      hint: messages.dbInstance.secretUnreadableHint,
    });
  ctx.redactor?.add(parsed.password);
  const u = new URL(`postgres://${endpoint.address}:${endpoint.port}/`);
  u.username = encodeURIComponent(parsed.username);
  u.password = encodeURIComponent(parsed.password);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The target database, resolved for use now (reads the managed secret for a provisioned instance). */
export async function targetDb(ctx: TargetDbContext, stepId = 'db'): Promise<TargetDb> {
  const rds = requireRds(ctx.config, stepId);
  const database = targetDatabaseName(rds);
  if (rds.mode === 'data-api') {
    const services = ctx.services;
    return {
      database,
      host: rds.resourceArn,
      field: 'target.rds.resourceArn',
      createDatabase: rds.createDatabase,
      copySettings: rds.copy,
      capabilities: DATA_API,
      app: { kind: 'data-api', resourceArn: rds.resourceArn, secretArn: rds.secretArn, database },
      async executor(options = {}) {
        // Loaded on demand: the AWS SDK's module graph is most of a direct-connection run's start-up time.
        const { createDataApiExecutor } = await import('../../providers/rds/data-api-executor.js');
        return createDataApiExecutor(
          await services.rdsData(),
          { resourceArn: rds.resourceArn, secretArn: rds.secretArn, database: options.database ?? database },
          { signal: options.signal },
        );
      },
      async connect() {
        throw new EngifyError({
          code: 'DB_TARGET_NO_SESSION',
          kind: 'config',
          message: messages.dbInstance.noSession,
        });
      },
    };
  }
  const url = rds.instance ? await instanceUrl(ctx, database) : (rds.url as string);
  const services = ctx.services;
  const connect = (options: { database?: string; replication?: boolean } = {}) => services.pg(url, options);
  return {
    database,
    host: hostPort(url),
    field: rds.instance ? 'target.rds.instance' : 'target.rds.url',
    // A provisioned instance is created with its database (DBName).
    createDatabase: rds.createDatabase,
    copySettings: rds.copy,
    capabilities: DIRECT,
    app: { kind: 'url', url },
    url,
    async executor(options = {}) {
      return createPgExecutor({
        connect: () => connect(options.database ? { database: options.database } : {}),
      });
    },
    connect,
  };
}

/** Another step's outputs read straight from journal records (for code outside a step, e.g. the demo). */
export function outputsFrom(records: readonly JournalRecord[]): Pick<StepJournal, 'outputOf'> {
  return {
    outputOf(stepId, key) {
      let found: unknown;
      for (const r of records)
        if (r.type === 'output' && r.stepId === stepId && r.key === key) found = r.value;
      return found as never;
    },
  };
}

/** The target's direct URL from the config and a journal, outside a session (the demo's own checks). */
export async function resolveTargetUrl(
  config: Config,
  records: readonly JournalRecord[],
): Promise<string | undefined> {
  if (!config.target.rds) return undefined;
  const services = createServices(config.target.aws);
  try {
    return (await targetDb({ config, services, journal: outputsFrom(records) })).url;
  } finally {
    await services.close();
  }
}
