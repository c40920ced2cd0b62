import pg from 'pg';
import type { Config } from '../../../config/schema.js';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { CaptureMode } from '../../../core/sync-contracts.js';
import { poolerProblem } from '../db-preflight.js';
import { DB_SOURCE_FIELDS } from '../db-source.js';
import { declaredDialectOf } from '../dialects/source-dialects.js';
import { detectLogical } from './preflight.js';
import type { ForwardSyncOptions } from './sync-runner.js';

// Turns the config's `sync` section and db.copy's recorded outputs into sync options, for the `sync`,
// `cutover` and `status` commands.

/** What db.copy records through ctx.journal.output (step 'db.copy'). */
export interface DbCopyOutputs {
  slot?: string;
  publication?: string;
  consistentPoint?: string;
  /** Trigger mode: the pg_snapshot text the copy was read at. */
  snapshot?: string;
}

/** Resolves sync.mode 'auto': logical decoding when the server and user allow it and db.copy made a slot. */
export async function chooseCaptureMode(
  sourceUrl: string,
  configured: Config['sync']['mode'],
  outputs: DbCopyOutputs,
  log?: (message: string) => void,
): Promise<CaptureMode> {
  if (configured !== 'auto') return configured;
  if (!outputs.slot) {
    log?.(messages.sync.fallbackToTrigger('db.copy recorded no replication slot'));
    return 'trigger';
  }
  const client = new pg.Client({ connectionString: sourceUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const found = await detectLogical(client);
    if (found.ok) return 'logical';
    log?.(messages.sync.fallbackToTrigger(found.reason ?? 'unknown'));
    return 'trigger';
  } finally {
    await client.end();
  }
}

export function forwardSyncOptions(
  config: Config,
  outputs: DbCopyOutputs,
  mode: CaptureMode,
  /** The target's direct URL (components/db/target-db.ts), when it has logical replication. */
  targetUrl: string | undefined,
): ForwardSyncOptions {
  const sourceUrl = declaredDialectOf(config)?.pgUrl;
  if (!sourceUrl || !targetUrl) {
    throw new EngifyError({
      code: 'SYNC_NEEDS_PG',
      kind: 'config',
      message: messages.config.needsSection(
        !sourceUrl ? DB_SOURCE_FIELDS : 'target.rds (mode "pg": url or instance)',
        'sync',
      ),
      hint: messages.sync.logicalUnavailableHint,
    });
  }
  const pooled = poolerProblem(config);
  if (pooled) throw pooled;
  return {
    mode,
    sourceUrl,
    targetUrl,
    slot: config.sync.slot ?? outputs.slot,
    publication: config.sync.publication ?? outputs.publication,
    startPosition: outputs.snapshot,
    limits: { maxChanges: config.sync.batchSize, maxDelayMs: config.sync.maxBatchDelayMs },
    pollMs: Math.min(1000, config.sync.maxBatchDelayMs),
  };
}
