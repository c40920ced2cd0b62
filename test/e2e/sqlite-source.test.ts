import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, inject, it } from 'vitest';
import { generateSqlite } from '../../bench/sqlite/generate.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { databaseExists, uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { query } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { readJournal, whenJournal } from '../helpers/journal-watch.js';

// A SQLite file as the database source (source.sqlite.path), through the BUILT CLI (`npm run build`
// first): plan shows the type rules, apply translates and copies, verify compares range checksums over
// normalised values, sync is refused (no change capture), rollback drops what was made; a kill -9 in the
// middle of the copy then a rerun ends with exact parity; a locked, corrupt or WAL-holding file is refused
// with nothing written.

const out = (r: CliResult) => r.stdout + r.stderr;

function sqliteWorkspace(o: { users: number; postsPerUser: number; jobs?: number; splitBytes?: number }) {
  const cluster = inject('stack').postgresUrl;
  const target = uniqueName('sqlt');
  let file = '';
  const ws = e2eWorkspace((config) => {
    file = join(process.env.TMPDIR ?? '/tmp', `${target}.db`);
    config.source = { sqlite: { path: file, busyTimeoutMs: 200 } };
    config.target = {
      aws: { region: 'us-east-1' },
      rds: {
        mode: 'pg',
        url: withDatabase(cluster, target),
        createDatabase: true,
        copy: { splitBytes: o.splitBytes ?? 16 * 1024, maxRangesPerTable: 8 },
      },
    };
    config.jobs = o.jobs ?? 2;
  });
  const { rows } = generateSqlite(file, o);
  const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
  return { ...ws, cluster, file, rows, target, targetUrl: withDatabase(cluster, target), cli };
}

const targetCounts = async (url: string) =>
  Object.fromEntries(
    await Promise.all(
      ['users', 'posts', 'tags', 'post_tags'].map(async (t) => [
        t,
        Number((await query<{ n: string }>(url, `SELECT count(*) AS n FROM public.${t}`))[0]?.n),
      ]),
    ),
  );

const sourceCounts = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(
      ['users', 'posts', 'tags', 'post_tags'].map((t) => [
        t,
        (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
};

describe('source.sqlite: a SQLite file into RDS PostgreSQL', () => {
  it('plans with the type rules, applies, verifies, refuses sync and rolls back', async () => {
    const w = sqliteWorkspace({ users: 400, postsPerUser: 4 });
    const plan = await w.cli('plan');
    expect(plan.code, out(plan)).toBe(0);
    const text = out(plan);
    expect(text).toContain('INTEGER PRIMARY KEY (the rowid): bigint identity');
    expect(text).toContain('AUTOINCREMENT counter');
    expect(text).toMatch(/is_admin: declared BOOLEAN and every value is one of 0\/1/);
    expect(text).toMatch(/created_at: declared DATETIME, every value ISO-8601 text/);
    expect(text).toMatch(/published_at: declared TIMESTAMP, every value an integer Unix time in seconds/);
    expect(text).toMatch(/posts_published: a partial index/);
    expect(text).toMatch(/post_days: it uses SQLite-only SQL/);
    expect(text).toContain('SQLite has no change capture: stop the app writing');

    const p1 = await w.cli('apply', '--phase', '1', '--yes');
    expect(p1.code, out(p1)).toBe(0);
    const p2 = await w.cli('apply', '--phase', '2', '--yes');
    expect(p2.code, out(p2)).toBe(0);
    const verify = await w.cli('verify');
    expect(verify.code, out(verify)).toBe(0);
    expect(out(verify)).toContain('db.copy parity public.posts');
    expect(await targetCounts(w.targetUrl)).toEqual(sourceCounts(w.file));

    // Types as the plan said, the identity past the AUTOINCREMENT counter (the last user was deleted).
    const types = await query<{ column_name: string; data_type: string }>(
      w.targetUrl,
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'users' AND column_name IN ('is_admin', 'created_at', 'score', 'balance') ORDER BY 1`,
    );
    expect(types).toEqual([
      { column_name: 'balance', data_type: 'numeric' },
      { column_name: 'created_at', data_type: 'timestamp with time zone' },
      { column_name: 'is_admin', data_type: 'boolean' },
      { column_name: 'score', data_type: 'double precision' },
    ]);
    const next = await query<{ id: string }>(
      w.targetUrl,
      "INSERT INTO public.users (email) VALUES ('new@example.com') RETURNING id::text AS id",
    );
    expect(Number(next[0]?.id)).toBe(401);
    const view = await query<{ n: string }>(w.targetUrl, 'SELECT count(*) AS n FROM public.post_titles');
    expect(Number(view[0]?.n)).toBe(sourceCounts(w.file).posts);

    // A changed value on the target is found by its range checksum.
    await query(w.targetUrl, "UPDATE public.posts SET body = body || ' ' WHERE id = 7");
    const drift = await w.cli('verify');
    expect(drift.code).not.toBe(0);
    expect(out(drift)).toMatch(/parity public\.posts.*contents differ/s);

    const sync = await w.cli('sync', '--once');
    expect(sync.code, out(sync)).not.toBe(0);
    expect(out(sync)).toContain('Sync refused: the sqlite source (source.sqlite.path) has no change capture');

    const rollback = await w.cli('rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
    expect(await databaseExists(w.cluster, w.target)).toBe(false);
    expect(existsSync(`${w.file}-journal`)).toBe(false);
  });

  it('kill -9 during the copy, then a rerun: exact parity', async () => {
    const w = sqliteWorkspace({ users: 2500, postsPerUser: 4, jobs: 1, splitBytes: 8 * 1024 });
    const p1 = await w.cli('apply', '--phase', '1', '--yes');
    expect(p1.code, out(p1)).toBe(0);
    const journal = join(w.dir, '.engify', 'journal.jsonl');
    let exited: Promise<unknown> = Promise.resolve();
    let kill = () => {};
    const run = runCli(['--config', w.configPath, 'apply', '--phase', '2', '--yes'], {
      env: w.env,
      onSpawn(child) {
        exited = new Promise((r) => child.on('exit', r));
        kill = () => child.kill('SIGKILL');
      },
    });
    await whenJournal(
      journal,
      (records) =>
        records.filter((r) => r.type === 'checkpoint' && /^table:public\.posts:\d+$/.test(r.stream ?? ''))
          .length >= 2,
      { abort: exited, what: 'two range checkpoints of public.posts' },
    );
    kill();
    const killed = await run;
    expect(killed.signal).toBe('SIGKILL');
    const records = readJournal(journal);
    const ranges = records
      .filter((r) => r.type === 'output' && r.key?.startsWith('ranges:'))
      .reduce((n, r) => n + (r.value as unknown[]).length, 0);
    const done = records.filter(
      (r) => r.type === 'checkpoint' && /^table:[^:]+:\d+$/.test(r.stream ?? ''),
    ).length;
    expect(done).toBeLessThan(ranges);

    const rerun = await w.cli('apply', '--phase', '2', '--yes');
    expect(rerun.code, out(rerun)).toBe(0);
    const verify = await w.cli('verify');
    expect(verify.code, out(verify)).toBe(0);
    expect(await targetCounts(w.targetUrl)).toEqual(sourceCounts(w.file));
    const rollback = await w.cli('rollback', '--yes');
    expect(rollback.code, out(rollback)).toBe(0);
  });

  it('refuses a WAL holding changes, a locked file and a corrupt file, writing nothing', async () => {
    const w = sqliteWorkspace({ users: 20, postsPerUser: 1 });

    // WAL mode with a change not checkpointed: the file alone is not the database.
    const writer = new Database(w.file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare("INSERT INTO tags (name, uses) VALUES ('late', 1)").run();
    const wal = await w.cli('plan');
    expect(wal.code).not.toBe(0);
    expect(out(wal)).toContain(`${w.file}-wal holds`);
    expect(out(wal)).toContain('PRAGMA wal_checkpoint(TRUNCATE)');
    writer.pragma('wal_checkpoint(TRUNCATE)');
    writer.pragma('journal_mode = DELETE');

    // A writer holding an exclusive lock past the busy timeout.
    writer.exec('BEGIN EXCLUSIVE');
    const locked = await w.cli('plan');
    expect(locked.code).not.toBe(0);
    expect(out(locked)).toContain('is locked by another process');
    writer.exec('ROLLBACK');
    writer.close();

    // Not a SQLite file at all, then a damaged one.
    writeFileSync(w.file, 'this is not a database');
    const notDb = await w.cli('apply', '--phase', '1', '--yes');
    expect(notDb.code).not.toBe(0);
    expect(out(notDb)).toContain('is not a SQLite database');
    generateSqlite(w.file, { users: 300, postsPerUser: 4 });
    const { openSync, writeSync, closeSync, statSync } = await import('node:fs');
    const fd = openSync(w.file, 'r+');
    const page = 4096;
    const pages = Math.floor(statSync(w.file).size / page);
    // Garbage over the middle pages (b-tree pages of the tables), header untouched.
    for (let p = 2; p < pages - 1; p += 2) writeSync(fd, Buffer.alloc(page, 0xa5), 0, page, p * page);
    closeSync(fd);
    const corrupt = await w.cli('apply', '--phase', '1', '--yes');
    expect(corrupt.code).not.toBe(0);
    expect(out(corrupt)).toMatch(/is corrupt|malformed/);
    expect(await databaseExists(w.cluster, w.target)).toBe(false);
  });
});
