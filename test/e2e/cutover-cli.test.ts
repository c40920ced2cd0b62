import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { type ConfigDraft, e2eWorkspace } from '../helpers/e2e-config.js';

// The database's full sync/cutover/rollback story through the built CLI, on real PostgreSQL 15:
// forward sync, cutover (verify, drain, reverse capture, flag), writes on the target, rollback after
// cutover (reverse drained, flag back), and the lock keeping a second sync out.

async function q(url: string, sql: string, params: unknown[] = []) {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

const digest = (url: string) =>
  q(
    url,
    "SELECT count(*)::int AS n, md5(coalesce(string_agg(id::text || ':' || body || ':' || n::text, ',' ORDER BY id), '')) AS h FROM public.notes",
  ).then((r) => r.rows[0] as { n: number; h: string });

describe('sync, cutover and rollback of the database through the CLI', () => {
  it('keeps both sides equal across forward sync, cutover, writes on AWS and rollback', async () => {
    const base = e2eWorkspace();
    const admin = base.stack.postgresUrl;
    const src = `src_${base.project.replace(/-/g, '_')}`;
    const tgt = `tgt_${base.project.replace(/-/g, '_')}`;
    await q(admin, `CREATE DATABASE ${src}`);
    const srcUrl = admin.replace(/\/postgres$/, `/${src}`);
    const tgtUrl = admin.replace(/\/postgres$/, `/${tgt}`);
    await q(
      srcUrl,
      'CREATE TABLE public.notes (id bigserial PRIMARY KEY, body text NOT NULL, n int NOT NULL DEFAULT 0)',
    );
    await q(
      srcUrl,
      "INSERT INTO public.notes (body, n) SELECT 'seed ' || g, g FROM generate_series(1, 200) g",
    );

    const ws = e2eWorkspace((c: ConfigDraft) => {
      c.source = { supabase: { dbUrl: srcUrl, schemas: ['public'] } };
      c.target = { aws: c.target.aws, rds: { mode: 'pg', url: tgtUrl, createDatabase: true } };
      c.sync = {
        maxLagSeconds: 5,
        mode: 'logical',
        reverseSlot: `rev_${src}`.slice(0, 63),
        reversePublication: `rev_${src}`,
      };
    });
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    const ok = async (...args: string[]) => {
      const r = await cli(...args);
      expect(r.code, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r;
    };

    await ok('apply', '--phase', '1', '--yes');
    await ok('apply', '--phase', '2', '--yes');
    expect(await digest(tgtUrl)).toEqual(await digest(srcUrl));

    // Writes on the old side while both are live: forward sync carries them.
    await q(
      srcUrl,
      "INSERT INTO public.notes (body, n) SELECT 'live ' || g, g FROM generate_series(1, 50) g",
    );
    await q(srcUrl, "UPDATE public.notes SET body = body || ' (edited)' WHERE id % 7 = 0");
    await q(srcUrl, 'DELETE FROM public.notes WHERE id % 11 = 0');
    await ok('sync', '--once');
    expect(await digest(tgtUrl)).toEqual(await digest(srcUrl));

    // A second sync while one runs is refused, naming the holder.
    const running = spawn(process.execPath, [BIN, '--config', ws.configPath, 'sync'], {
      env: { ...process.env, ...ws.env },
      stdio: 'pipe',
    });
    let out = '';
    // Go on once the running sync says so on stdout (its status line), or fail if it exits first.
    const announced = new Promise<void>((resolve, reject) => {
      running.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('sync running')) resolve();
      });
      running.once('exit', (code) => reject(new Error(`sync exited (${code}) before running: ${out}`)));
    });
    await announced;
    expect(out).toContain('sync running');
    await q(srcUrl, "INSERT INTO public.notes (body) VALUES ('while sync runs')");
    const second = await cli('sync', '--once');
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`pid ${running.pid}`);
    const status = await ok('status');
    expect(status.stdout).toContain('sync db (forward)');
    // SIGTERM stops it cleanly.
    const exited = new Promise<number | null>((r) => running.on('close', (code) => r(code)));
    running.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('sync stopped cleanly');
    expect(await digest(tgtUrl)).toEqual(await digest(srcUrl));

    // Cutover: verify, drain, reverse capture, flag.
    await ok('cutover', '--component', 'db', '--to', 'target', '--yes');
    const flags = JSON.parse(readFileSync(join(ws.dir, '.engify', 'flags.json'), 'utf8')) as Record<
      string,
      { mode: string }
    >;
    expect(flags.db?.mode).toBe('target');

    // The app now writes to AWS.
    await q(
      tgtUrl,
      "INSERT INTO public.notes (id, body, n) SELECT 100000 + g, 'on aws ' || g, g FROM generate_series(1, 30) g",
    );
    await q(tgtUrl, 'UPDATE public.notes SET n = n + 1000 WHERE id % 5 = 0');
    await q(tgtUrl, 'DELETE FROM public.notes WHERE id % 13 = 0');
    const onAws = await digest(tgtUrl);

    // Rollback after cutover: reverse sync drained, every write made on AWS is on the old side.
    await ok('rollback', '--yes');
    expect(await digest(srcUrl)).toEqual(onAws);
    const back = JSON.parse(readFileSync(join(ws.dir, '.engify', 'flags.json'), 'utf8')) as Record<
      string,
      { mode: string }
    >;
    expect(back.db?.mode).toBe('source');

    // Forward sync resumes, and the reverse-applied writes are not echoed back as new changes.
    await q(srcUrl, "INSERT INTO public.notes (body) VALUES ('after rollback')");
    await ok('sync', '--once');
    expect(await digest(tgtUrl)).toEqual(await digest(srcUrl));
    await ok('verify');

    // A cutover refused while the target does not match: corrupt one row on the target.
    await q(
      tgtUrl,
      "UPDATE public.notes SET body = 'tampered' WHERE id = (SELECT min(id) FROM public.notes)",
    );
    const refused = await cli('cutover', '--component', 'db', '--to', 'target', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('verify fails');
  }, 180_000);
});
