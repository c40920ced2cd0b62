import { writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { journalText, sourceDatabase, uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { type ConfigDraft, e2eWorkspace } from '../helpers/e2e-config.js';

// A Supabase pooler URL in source.supabase.dbUrl is refused before db.copy takes its snapshot. The
// "pooler" is a plain TCP relay on 6543 (Supabase's transaction-pooler port) to the real source, so
// without the check the copy would run through it: the refusal must come from the URL's shape.

const POOLER_PORT = 6543;
let relay: Server;
const sockets = new Set<Socket>();

beforeAll(async () => {
  const upstreamPort = inject('stack').postgresPort;
  relay = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(POOLER_PORT, '127.0.0.1', () => resolve());
  });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

const out = (r: CliResult) => r.stdout + r.stderr;

describe('source.supabase.dbUrl through the Supabase pooler', () => {
  it('is refused with exit 2 naming the field, and db.copy never starts', async () => {
    const cluster = inject('stack').postgresUrl;
    const source = sourceDatabase(cluster, 200);
    const target = uniqueName('tgtpool');
    const pooled = new URL(source.url);
    pooled.port = String(POOLER_PORT);
    const draft = (dbUrl: string) => (config: ConfigDraft) => {
      config.source = { supabase: { dbUrl } };
      config.target = {
        aws: { region: 'us-east-1' },
        rds: { mode: 'pg', url: withDatabase(cluster, target), createDatabase: true },
      };
    };
    const ws = e2eWorkspace(draft(source.url));
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    const phase1 = await cli('apply', '--phase', '1', '--yes');
    expect(phase1.code, out(phase1)).toBe(0);

    // The same config with the pooler's URL, as copied from the dashboard's "Transaction pooler" panel.
    const pooledWs = e2eWorkspace(draft(pooled.toString()));
    writeFileSync(ws.configPath, JSON.stringify({ ...pooledWs.config, project: ws.project }, null, 2));
    for (const args of [
      ['plan', '--phase', '2'],
      ['apply', '--phase', '2', '--yes'],
    ]) {
      const r = await cli(...args);
      expect(r.code, `${args.join(' ')}\n${out(r)}`).toBe(2);
      expect(r.stderr).toContain(
        `source.supabase.dbUrl: 127.0.0.1:${POOLER_PORT} is a Supabase connection pooler`,
      );
      expect(r.stderr).toContain('logical replication needs a direct connection');
      expect(r.stderr).toContain('db.<project-ref>.supabase.co:5432');
    }
    const journal = journalText(ws.dir);
    expect(journal).toContain('"stepId":"db.schema"');
    expect(journal).not.toContain('"stepId":"db.copy"');
  }, 120_000);

  it('a Supavisor session-mode host on 5432 is a pooler too, refused before any connection', async () => {
    const ws = e2eWorkspace((config) => {
      config.source = {
        supabase: {
          dbUrl: 'postgres://postgres.abcdefghijklmnop:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres',
        },
      };
      config.target = {
        aws: { region: 'us-east-1' },
        rds: { mode: 'pg', url: withDatabase(inject('stack').postgresUrl, 'nowhere'), createDatabase: true },
      };
    });
    const r = await runCli(['--config', ws.configPath, 'plan'], { env: ws.env });
    expect(r.code, out(r)).toBe(2);
    expect(r.stderr).toContain(
      'source.supabase.dbUrl: aws-0-eu-west-1.pooler.supabase.com:5432 is a Supabase connection pooler (Supavisor, session mode)',
    );
    // The pooler user names the project, so the message can name the direct host.
    expect(r.stderr).toContain('db.abcdefghijklmnop.supabase.co:5432');
    expect(r.stderr).not.toContain(':pw@');
    expect(journalText(ws.dir)).toBe('');
  }, 60_000);
});
