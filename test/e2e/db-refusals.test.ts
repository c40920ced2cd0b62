import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/sandbox/free-port.js';
import { type PostgresCluster, startPostgresCluster } from '../../src/sandbox/postgres-cluster.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { databaseExists, uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { runSql } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { postgresInstallWithout, type TrimmedInstall } from '../helpers/pg-install-without.js';

// Two refusals of db.schema, each raised by plan and by apply before anything is written, against real
// servers: a target that does not offer an extension the schema uses (a PostgreSQL 15 cluster run from
// a copy of the install whose share directory lacks citext), and a source on a newer major version than
// the target (PGlite, which is PostgreSQL 18, as the source of a PostgreSQL 15 target).

let trimmed: TrimmedInstall;
let noCitext: PostgresCluster;
let pglite: PGlite;
let pgliteServer: PGLiteSocketServer;
let pglitePort: number;

beforeAll(async () => {
  trimmed = postgresInstallWithout(['citext']);
  noCitext = await startPostgresCluster({ bin: trimmed.bin });
  pglite = new PGlite();
  await pglite.exec('CREATE TABLE public.notes (id integer PRIMARY KEY, body text NOT NULL)');
  await pglite.exec(`INSERT INTO public.notes VALUES (1, 'one'), (2, 'two')`);
  pglitePort = await freePort();
  pgliteServer = new PGLiteSocketServer({
    db: pglite,
    port: pglitePort,
    host: '127.0.0.1',
    maxConnections: 8,
  });
  await pgliteServer.start();
});

afterAll(async () => {
  await pgliteServer?.stop();
  await pglite?.close();
  await noCitext?.stop();
  trimmed?.remove();
});

const out = (r: CliResult) => r.stdout + r.stderr;

function workspace(sourceUrl: string, targetCluster: string, database: string) {
  const ws = e2eWorkspace((config) => {
    config.source = { supabase: { dbUrl: sourceUrl } };
    config.target = {
      aws: { region: 'us-east-1' },
      rds: { mode: 'pg', url: withDatabase(targetCluster, database), createDatabase: true },
    };
  });
  return (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
}

describe('db.schema refuses before writing anything', () => {
  it('an extension the target does not offer', async () => {
    const cluster = inject('stack').postgresUrl;
    const source = uniqueName('srcext');
    runSql(cluster, `CREATE DATABASE ${source}`);
    const sourceUrl = withDatabase(cluster, source);
    runSql(
      sourceUrl,
      `CREATE EXTENSION citext;
       CREATE TABLE public.accounts (id integer PRIMARY KEY, handle citext NOT NULL UNIQUE);
       INSERT INTO public.accounts VALUES (1, 'Alice');`,
    );
    const offered = runSql(
      noCitext.url(),
      `SELECT count(*) FROM pg_available_extensions WHERE name = 'citext'`,
    );
    expect(offered.trim()).toBe('0');
    expect(runSql(noCitext.url(), `SELECT count(*) > 0 FROM pg_available_extensions`).trim()).toBe('t');

    const target = uniqueName('tgtext');
    const cli = workspace(sourceUrl, noCitext.url(), target);
    for (const args of [['plan'], ['apply', '--phase', '1', '--yes']]) {
      const r = await cli(...args);
      expect(r.code, out(r)).toBe(2);
      expect(out(r)).toContain('does not offer extension(s) the migrated schema uses: citext');
      expect(await databaseExists(noCitext.url(), target)).toBe(false);
    }
  }, 60_000);

  it('a source on a newer major version than the target', async () => {
    const version = (await pglite.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`))
      .rows[0]?.v;
    expect(Math.floor(Number(version) / 10000)).toBeGreaterThan(15);
    const cluster = inject('stack').postgresUrl;
    const target = uniqueName('tgtold');
    const cli = workspace(`postgres://postgres@127.0.0.1:${pglitePort}/postgres`, cluster, target);
    for (const args of [['plan'], ['apply', '--phase', '1', '--yes']]) {
      const r = await cli(...args);
      expect(r.code, out(r)).toBe(2);
      expect(out(r)).toMatch(/The source runs PostgreSQL 1[6-9] and the target 15/);
      expect(await databaseExists(cluster, target)).toBe(false);
    }
  }, 60_000);
});
