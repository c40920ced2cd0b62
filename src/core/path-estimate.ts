import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EngifyError } from './errors.js';
import { messages } from './messages.js';

// Wall-time estimates of each copy path a component has (the database: this machine or AWS DMS;
// vectors: BatchWriteItem or the bulk load from S3; users: the admin API or a Cognito import job), from
// what the plan measured and the throughput each path is assumed to reach. The assumptions are data,
// in one dated file (throughput/paths.json at the package root, or the user's own), so they are seen,
// argued with and replaced by a measurement, not buried in code. Pure arithmetic otherwise: the plan
// shows every figure it used, and a test can redo the sum by hand.

const figure = z.object({
  value: z.number().positive(),
  unit: z.string(),
  basis: z.enum(['measured', 'assumed']),
  source: z.string(),
});

const throughputSchema = z.object({
  format: z.literal('engify-migrate/throughput@1'),
  checkedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  note: z.string(),
  figures: z.object({
    'network.defaultMbps': figure,
    'db.local.machineBytesPerSecond': figure,
    'db.dms.fullLoadBytesPerSecond': figure,
    'db.dms.startupSeconds': figure,
    'vectors.batch.writeUnitsPerSecond': figure,
    'vectors.bulk.importBytesPerSecond': figure,
    'vectors.bulk.startupSeconds': figure,
    'users.importJob.usersPerSecond': figure,
    'users.importJob.startupSeconds': figure,
  }),
});

export type ThroughputFile = z.infer<typeof throughputSchema>;
export type ThroughputKey = keyof ThroughputFile['figures'];

export const bundledThroughputFile = () =>
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'throughput', 'paths.json');

export interface LoadedThroughput {
  file: ThroughputFile;
  path: string;
}

/** The user's file (network.throughputFile, relative to the config's folder) or the bundled one. */
export function loadThroughput(own: string | undefined, configDir: string): LoadedThroughput {
  const path = own ? (isAbsolute(own) ? own : resolve(configDir, own)) : bundledThroughputFile();
  const fail = (why: string) =>
    new EngifyError({
      code: 'THROUGHPUT_UNREADABLE',
      kind: 'config',
      message: messages.paths.fileUnreadable(path, why),
      hint: messages.paths.fileHint,
    });
  if (!existsSync(path)) throw fail('no such file');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw fail((e as Error).message);
  }
  const parsed = throughputSchema.safeParse(raw);
  if (!parsed.success)
    throw fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return { file: parsed.data, path };
}

/** One way of moving a component's data, with the time it would take and the sum behind it. */
export interface PathEstimate {
  path: string;
  seconds: number;
  /** The sum, in words and figures, as the plan shows it. */
  basis: string;
}

export interface PathChoice {
  component: 'db' | 'users' | 'vectors';
  paths: PathEstimate[];
  chosen: string;
  /** Why: the threshold or setting that chose it, and any fallback. */
  reason: string;
  /** The threshold compared against, in its own unit (null: chosen by a setting, not by size). */
  threshold: { name: string; value: number; unit: string } | null;
  /** What else decided or shapes the path (a fallback and its reason, the DMS mode, LOB settings). */
  notes?: string[];
}

const v = (t: ThroughputFile, k: ThroughputKey) => t.figures[k].value;

/** The link this machine moves data over: the configured figure, else the file's assumption. */
export function linkBytesPerSecond(t: ThroughputFile, mbps: number | undefined): number {
  return ((mbps ?? v(t, 'network.defaultMbps')) * 1_000_000) / 8;
}

export interface DbPathInput {
  bytes: number;
  rows: number;
  mbps: number | undefined;
  engine: 'auto' | 'local' | 'dms';
  dmsAboveHours: number;
}

/**
 * Local: every byte crosses this machine's link (down from the source and up to the target at once, so
 * the link's one-way rate bounds it), and no faster than the machine copies on loopback. DMS: the
 * data moves inside AWS, after the replication's start-up. Auto picks DMS only when the local estimate
 * passes the threshold and DMS is faster.
 */
export function dbPaths(t: ThroughputFile, input: DbPathInput): PathChoice {
  const link = linkBytesPerSecond(t, input.mbps);
  const machine = v(t, 'db.local.machineBytesPerSecond');
  const localRate = Math.min(link, machine);
  const dmsRate = v(t, 'db.dms.fullLoadBytesPerSecond');
  const startup = v(t, 'db.dms.startupSeconds');
  const local: PathEstimate = {
    path: 'local',
    seconds: input.bytes / localRate,
    basis: `${input.bytes} B / min(link ${link} B/s, machine ${machine} B/s)`,
  };
  const dms: PathEstimate = {
    path: 'dms',
    seconds: startup + input.bytes / dmsRate,
    basis: `${startup} s start-up + ${input.bytes} B / ${dmsRate} B/s`,
  };
  const threshold = { name: 'target.rds.copy.dmsAboveHours', value: input.dmsAboveHours, unit: 'hours' };
  if (input.engine !== 'auto')
    return {
      component: 'db',
      paths: [local, dms],
      chosen: input.engine,
      reason: messages.paths.bySetting('target.rds.copy.engine', input.engine),
      threshold: null,
    };
  const over = local.seconds > input.dmsAboveHours * 3600;
  const chosen = over && dms.seconds < local.seconds ? 'dms' : 'local';
  return {
    component: 'db',
    paths: [local, dms],
    chosen,
    reason: over
      ? chosen === 'dms'
        ? messages.paths.dbOver(local.seconds, input.dmsAboveHours)
        : messages.paths.dbOverButSlower(local.seconds, dms.seconds, input.dmsAboveHours)
      : messages.paths.dbUnder(local.seconds, input.dmsAboveHours),
    threshold,
  };
}

export interface VectorPathInput {
  points: number;
  avgItemBytes: number;
  /** Items per second the config allows (target.dynamodb.writesPerSecond; 0: unlimited). */
  writesPerSecond: number;
  bulkThresholdPoints: number;
  mbps: number | undefined;
  chosen: 'batch-write' | 'bulk-import';
}

/**
 * BatchWriteItem: each item costs ceil(size / 1 KB) write request units against the table's write
 * throughput (and the configured rate, if any). Bulk: the items are staged to S3 over this machine's
 * link, then loaded by DynamoDB after its start-up.
 */
export function vectorPaths(t: ThroughputFile, input: VectorPathInput): PathChoice {
  const units = Math.ceil(input.avgItemBytes / 1024);
  const wru = v(t, 'vectors.batch.writeUnitsPerSecond');
  const itemsPerSecond = Math.min(
    wru / units,
    input.writesPerSecond > 0 ? input.writesPerSecond : Number.POSITIVE_INFINITY,
  );
  const bytes = input.points * input.avgItemBytes;
  const link = linkBytesPerSecond(t, input.mbps);
  const importRate = v(t, 'vectors.bulk.importBytesPerSecond');
  const startup = v(t, 'vectors.bulk.startupSeconds');
  return {
    component: 'vectors',
    paths: [
      {
        path: 'batch-write',
        seconds: input.points / itemsPerSecond,
        basis: `${input.points} items / min(${wru} WRU/s / ${units} WRU per item${input.writesPerSecond > 0 ? `, ${input.writesPerSecond} items/s configured` : ''})`,
      },
      {
        path: 'bulk-import',
        seconds: bytes / link + startup + bytes / importRate,
        basis: `${bytes} B staged at ${link} B/s + ${startup} s start-up + ${bytes} B / ${importRate} B/s`,
      },
    ],
    chosen: input.chosen,
    reason:
      input.chosen === 'bulk-import'
        ? messages.paths.vectorsOver(input.points, input.bulkThresholdPoints)
        : messages.paths.vectorsUnder(input.points, input.bulkThresholdPoints),
    threshold: {
      name: 'target.dynamodb.bulkThresholdPoints',
      value: input.bulkThresholdPoints,
      unit: 'points',
    },
  };
}

export interface UserPathInput {
  users: number;
  /** The configured admin-call rate (auth.ratePerSecond). */
  ratePerSecond: number;
  maxUsersPerFile: number;
  /** auth.passwords: import-hashes goes through import jobs, reset and lazy through the admin API. */
  route: string;
}

/** API: one AdminCreateUser per user at the configured rate. Import job: per file, start-up + users at the job's rate. */
export function userPaths(t: ThroughputFile, input: UserPathInput): PathChoice {
  const files = Math.max(1, Math.ceil(input.users / input.maxUsersPerFile));
  const rate = v(t, 'users.importJob.usersPerSecond');
  const startup = v(t, 'users.importJob.startupSeconds');
  const chosen = input.route === 'import-hashes' ? 'import-job' : 'api';
  return {
    component: 'users',
    paths: [
      {
        path: 'api',
        seconds: input.users / input.ratePerSecond,
        basis: `${input.users} AdminCreateUser calls / ${input.ratePerSecond} per second`,
      },
      {
        path: 'import-job',
        seconds: files * startup + input.users / rate,
        basis: `${files} job(s) x ${startup} s + ${input.users} users / ${rate} per second`,
      },
    ],
    chosen,
    reason: messages.paths.usersBy(input.route, chosen),
    threshold: null,
  };
}
