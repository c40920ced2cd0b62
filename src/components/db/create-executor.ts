import type { RdsConfig } from '../../config/schema.js';
import type { Services } from '../../core/services.js';
import type { SqlExecutor } from '../../core/sql-executor.js';
import { createPgExecutor } from '../../providers/postgres/pg-executor.js';

// Chooses the executor by rds.mode. `database` overrides the configured one (e.g. "postgres" to
// create the configured database, which cannot be done while connected to it).

export function targetDatabaseName(rds: RdsConfig): string {
  if (rds.mode === 'data-api') return rds.database;
  const name = decodeURIComponent(new URL(rds.url).pathname.replace(/^\//, ''));
  return name || 'postgres';
}

export async function createSqlExecutor(
  rds: RdsConfig,
  services: Services,
  options: { database?: string; signal?: AbortSignal } = {},
): Promise<SqlExecutor> {
  if (rds.mode === 'data-api') {
    // Loaded on demand: the AWS SDK's module graph is most of a direct-connection run's start-up time.
    const { createDataApiExecutor } = await import('../../providers/rds/data-api-executor.js');
    const client = await services.rdsData();
    return createDataApiExecutor(
      client,
      { resourceArn: rds.resourceArn, secretArn: rds.secretArn, database: options.database ?? rds.database },
      { signal: options.signal },
    );
  }
  const url = rds.url;
  return createPgExecutor({
    connect: () => services.pg(url, options.database ? { database: options.database } : {}),
  });
}
