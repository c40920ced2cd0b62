import type { Client } from 'pg';
import {
  readIndexBytes,
  readSequences,
  readSequenceValues,
  readTables,
} from '../../../providers/postgres/catalog.js';
import { checksumSql, type RangeChecksum } from '../../../providers/postgres/checksum.js';
import { readRangeText, relayOut } from '../../../providers/postgres/copy-out.js';
import { introspectSchema } from '../../../providers/postgres/introspect.js';
import { createPgExecutor } from '../../../providers/postgres/pg-executor.js';
import { splitTable } from '../../../providers/postgres/ranges.js';
import {
  type Connect,
  createSlotWithSnapshot,
  dropPublication,
  dropSlot,
  ensurePublication,
  exportSnapshot,
  openSnapshotReader,
  slotState,
} from '../../../providers/postgres/snapshot.js';
import { CANONICAL_TEXT_SETTINGS } from '../../../providers/postgres/sql-text.js';
import type { TranslateOptions } from '../schema/translate.js';
import type {
  CaptureKind,
  ConsistentRead,
  RangeReader,
  SourceDialect,
  SourceInternals,
  SourceSession,
} from '../source-dialect.js';

// Any PostgreSQL 13+ as a source (a self-hosted server, Neon, RDS): the PostgreSQL provider's catalog,
// snapshot, COPY and checksum modules behind the SourceDialect operations. Supabase extends this class.

export interface PostgresDialectOptions {
  url: string;
  schemas: string[];
  fields: { location: string; schemas: string };
  /** Opens a connection; the step supplies it (it turns a refused connection into its own message). */
  connect: Connect;
}

export const NO_INTERNALS: SourceInternals = { schemas: [], roles: [], authShim: false };

/** A worker reading under an exported snapshot. */
export function snapshotReader(client: Client): RangeReader {
  return {
    split: (table, options) => splitTable(client, table, options),
    // pipeline() ties the relay to the caller's end: destroying what it returns destroys the source side.
    copyOut: (table, range, format) => relayOut(client, table, range, format),
    rows: (table, range, batchRows) => readRangeText(client, table, range, batchRows),
    async close() {
      await client.query('COMMIT').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

export function postgresSession(client: Client): SourceSession {
  // Checksums hash each row's text: the session's output settings are made canonical before the first.
  let canonical: Promise<void> | undefined;
  const canonicalise = () => {
    canonical ??= (async () => {
      for (const s of CANONICAL_TEXT_SETTINGS) await client.query(s);
    })();
    return canonical;
  };
  return {
    pg: client,
    tables: (schemas) => readTables(client, schemas),
    indexBytes: (schemas) => readIndexBytes(client, schemas),
    sequences: async (schemas) => readSequenceValues(client, await readSequences(client, schemas)),
    async checksum(table, range): Promise<RangeChecksum> {
      await canonicalise();
      const r = await client.query<RangeChecksum>(checksumSql(table, range));
      return { rows: r.rows[0]?.rows ?? '0', hash: r.rows[0]?.hash ?? '0' };
    },
    capture: {
      slotState: (slot) => slotState(client, slot),
      dropSlot: (slot) => dropSlot(client, slot),
      ensurePublication: (name, tables) => ensurePublication(client, name, tables),
      dropPublication: (name) => dropPublication(client, name),
    },
    close: () => client.end().catch(() => undefined),
  };
}

/** A consistent read over `connect`: with a slot (its exported snapshot) or a plain exported snapshot. */
export async function postgresConsistentRead(connect: Connect, slot?: string): Promise<ConsistentRead> {
  const snapshot = slot ? await createSlotWithSnapshot(connect, slot) : await exportSnapshot(connect);
  return {
    id: snapshot.snapshotId,
    lsn: snapshot.lsn,
    ...(snapshot.slot ? { slot: snapshot.slot } : {}),
    reader: async () => snapshotReader(await openSnapshotReader(connect, snapshot.snapshotId)),
    release: snapshot.release,
  };
}

export class PostgresDialect implements SourceDialect {
  readonly kind: string = 'postgres';
  readonly capture: CaptureKind = 'logical';
  readonly copyFormats = ['binary', 'text'] as const;
  readonly internals: SourceInternals = NO_INTERNALS;
  readonly schemas: string[];
  readonly fields: { location: string; schemas: string };
  readonly pgUrl: string;
  protected readonly connect: Connect;

  constructor(options: PostgresDialectOptions) {
    this.schemas = options.schemas;
    this.fields = options.fields;
    this.pgUrl = options.url;
    this.connect = options.connect;
  }

  translateOptions(): TranslateOptions {
    return { schemas: this.schemas, supabase: false, schemasField: this.fields.schemas };
  }

  async introspect() {
    const executor = await createPgExecutor({ connect: () => this.connect(), copy: false });
    try {
      return await introspectSchema(executor, this.schemas);
    } finally {
      await executor.close();
    }
  }

  async open(): Promise<SourceSession> {
    return postgresSession(await this.connect());
  }

  consistentRead(options: { slot?: string } = {}): Promise<ConsistentRead> {
    return postgresConsistentRead(this.connect, options.slot);
  }
}
