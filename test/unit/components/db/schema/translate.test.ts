import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPostLoad, applyPreLoad } from '../../../../../src/components/db/schema/apply.js';
import { diffSchema } from '../../../../../src/components/db/schema/diff.js';
import { parseKeyColumns, translateSchema } from '../../../../../src/components/db/schema/translate.js';
import type { SqlExecutor } from '../../../../../src/core/sql-executor.js';
import { introspectSchema } from '../../../../../src/providers/postgres/introspect.js';
import { createPgExecutor } from '../../../../../src/providers/postgres/pg-executor.js';
import type { SchemaModel } from '../../../../../src/providers/postgres/schema-model.js';
import { type PostgresCluster, startPostgresCluster } from '../../../../../src/sandbox/postgres-cluster.js';

const fixture = readFileSync(new URL('../../../../fixtures/supabase-fixture.sql', import.meta.url), 'utf8');

let source: PostgresCluster;
let target: PostgresCluster;
let src: SqlExecutor;
let dst: SqlExecutor;
let model: SchemaModel;

const connect = (url: string) => async () => {
  const c = new pg.Client(url);
  await c.connect();
  return c;
};

beforeAll(async () => {
  [source, target] = await Promise.all([startPostgresCluster(), startPostgresCluster()]);
  const c = new pg.Client(source.url());
  await c.connect();
  await c.query(fixture);
  await c.end();
  src = await createPgExecutor({ connect: connect(source.url()) });
  dst = await createPgExecutor({ connect: connect(target.url()) });
  model = await introspectSchema(src, ['public']);
}, 60_000);

afterAll(async () => {
  await src?.close();
  await dst?.close();
  await Promise.all([source?.stop(), target?.stop()]);
});

describe('introspection', () => {
  it('reads exact types, identity, generated columns, collations and sequences', () => {
    const bots = model.tables.find((t) => t.name === 'bots');
    const col = (name: string) => bots?.columns.find((c) => c.name === name);
    expect(col('id')).toMatchObject({
      type: 'bigint',
      identity: 'always',
      identitySequence: { start: '100' },
    });
    expect(col('slug')?.generated).toBe('public.slugify(name)');
    expect(col('temperature')?.type).toBe('numeric(3,2)');
    expect(col('tags')?.type).toBe('text[]');
    expect(col('status')?.type).toBe('public.bot_status');
    expect(col('public_id')?.default).toBe('extensions.uuid_generate_v4()');
    const profiles = model.tables.find((t) => t.name === 'profiles');
    expect(profiles?.columns.find((c) => c.name === 'username')?.collation).toBe('pg_catalog."C"');
    expect(profiles?.columns.find((c) => c.name === 'email')?.type).toBe('public.email_address');
    const seq = model.sequences.find((s) => s.name === 'invoice_number_seq');
    expect(seq).toMatchObject({
      increment: '10',
      lastValue: '9000',
      ownedBy: { table: 'public.documents', column: 'invoice_no' },
    });
    expect(model.sequences.map((s) => s.name).sort()).toEqual(['documents_id_seq', 'invoice_number_seq']);
    expect(model.views.find((v) => v.name === 'live_bot_counts')?.dependsOn).toEqual(['public.live_bots']);
    expect(model.types.map((t) => `${t.kind} ${t.name}`)).toEqual([
      'enum bot_status',
      'composite money_amount',
      'domain email_address',
    ]);
  });
});

describe('translateSchema', () => {
  it('splits pre-load and post-load, shims auth and reports every omission', () => {
    const t = translateSchema(model, { schemas: ['public'] });
    const pre = t.preLoad.map((s) => s.key);
    const post = t.postLoad.map((s) => s.key);
    expect(pre.indexOf('role anon')).toBeLessThan(pre.indexOf('schema public'));
    expect(pre.indexOf('extension uuid-ossp')).toBeLessThan(pre.indexOf('table public.bots'));
    expect(pre.indexOf('function public.slugify(value text)')).toBeLessThan(pre.indexOf('table public.bots'));
    expect(pre.indexOf('view public.live_bots')).toBeLessThan(pre.indexOf('view public.live_bot_counts'));
    expect(pre).toContain('table auth.users');
    expect(pre).toContain('function auth.uid()');
    expect(pre.some((k) => k.startsWith('table storage.') || k.startsWith('table realtime.'))).toBe(false);
    expect(post).toContain('index public.bots_owner_idx');
    expect(post).toContain('foreign key public.bots.bots_owner_id_fkey');
    expect(post).toContain('policy public.bots."owners read bots"');
    expect(post.indexOf('constraint public.bots.bots_public_id_key')).toBeLessThan(
      post.indexOf('foreign key public.bots.bots_owner_id_fkey'),
    );
    expect(t.preLoad.find((s) => s.key === 'table public.bots')?.sql).not.toMatch(
      /FOREIGN KEY|UNIQUE|PRIMARY KEY/,
    );
    // Keys come after the load: their index first (built beside the table's other indexes), then the
    // constraint adopts it.
    expect(t.postLoad.find((s) => s.key === 'index public.bots_pkey')?.sql).toMatch(
      /^CREATE UNIQUE INDEX IF NOT EXISTS bots_pkey ON public\.bots USING btree \(id\)/,
    );
    expect(t.postLoad.find((s) => s.key === 'constraint public.bots.bots_pkey')?.sql).toBe(
      'ALTER TABLE "public"."bots" ADD CONSTRAINT "bots_pkey" PRIMARY KEY USING INDEX "bots_pkey"',
    );
    expect(post.indexOf('index public.bots_public_id_key')).toBeLessThan(
      post.indexOf('constraint public.bots.bots_public_id_key'),
    );
    expect(t.requiredExtensions.map((e) => e.name).sort()).toEqual(['citext', 'uuid-ossp']);
    expect(t.optionalExtensions.map((e) => e.name)).toEqual(['pgcrypto']);
    const notes = t.report.map((n) => `${n.level} ${n.object}`);
    expect(notes).toContain('warning function public.bucket_count()');
    expect(notes).toContain('warning table public.events');
    expect(notes).toContain('info schema storage');
    expect(notes).toContain('info schema realtime');
    expect(t.report.some((n) => n.level === 'error')).toBe(false);
    const bots = t.copyTables.find((c) => c.name === 'bots');
    expect(bots).toMatchObject({ primaryKey: ['id'], identityAlways: ['id'] });
    expect(bots?.columns).not.toContain('slug');
    expect(t.copyTables.find((c) => c.name === 'events')?.primaryKey).toBeNull();
    expect(parseKeyColumns('PRIMARY KEY (bot_id, "User Id")')).toEqual(['bot_id', 'User Id']);
  });

  it('refuses a configured Supabase-internal schema and a missing one', () => {
    const t = translateSchema(model, { schemas: ['public', 'storage', 'nope'] });
    const errors = t.report.filter((n) => n.level === 'error').map((n) => n.object);
    expect(errors).toEqual(['schema storage', 'schema nope']);
  });
});

describe('keys built after the load', () => {
  it('keeps in CREATE TABLE a primary key a view relies on and defers the others', async () => {
    await src.query(`
      CREATE SCHEMA keys;
      CREATE TABLE keys.owners (id bigint PRIMARY KEY, name text NOT NULL);
      CREATE VIEW keys.owner_names AS SELECT o.id, o.name, count(*) AS n FROM keys.owners o GROUP BY o.id;
      CREATE TABLE keys.plain (id uuid PRIMARY KEY, code text NOT NULL,
        CONSTRAINT plain_code_key UNIQUE (code),
        CONSTRAINT plain_late UNIQUE (id, code) DEFERRABLE INITIALLY DEFERRED);`);
    try {
      const keys = await introspectSchema(src, ['keys']);
      const t = translateSchema(keys, { schemas: ['keys'] });
      const pre = (name: string) => t.preLoad.find((s) => s.key === `table keys.${name}`)?.sql ?? '';
      const post = t.postLoad.map((s) => s.key);
      expect(pre('owners')).toMatch(/CONSTRAINT "owners_pkey" PRIMARY KEY \(id\)/);
      expect(pre('plain')).not.toMatch(/PRIMARY KEY/);
      expect(post).toEqual(
        expect.arrayContaining([
          'index keys.plain_pkey',
          'constraint keys.plain.plain_pkey',
          'index keys.plain_code_key',
          'constraint keys.plain.plain_code_key',
          'constraint keys.plain.plain_late',
        ]),
      );
      expect(post).not.toContain('index keys.plain_late');
      expect(t.postLoad.find((s) => s.key === 'constraint keys.plain.plain_late')?.sql).toMatch(
        /UNIQUE \(id, code\) DEFERRABLE INITIALLY DEFERRED$/,
      );

      // On a real target: the view is created before the load (its key is there), the diff before the
      // load does not ask for the deferred keys, and after the post-load every key is as on the source.
      await applyPreLoad(dst, t.preLoad, { intent: () => undefined, created: () => undefined });
      expect(diffSchema(t.kept, await introspectSchema(dst, ['keys']), { postLoad: false })).toEqual([]);
      const before = diffSchema(t.kept, await introspectSchema(dst, ['keys']), { postLoad: true });
      expect(before.map((d) => d.object)).toContain('constraint keys.plain.plain_pkey');
      await applyPostLoad([dst, dst], t);
      expect(diffSchema(t.kept, await introspectSchema(dst, ['keys']), { postLoad: true })).toEqual([]);
    } finally {
      await src.query('DROP SCHEMA keys CASCADE');
      await dst.query('DROP SCHEMA IF EXISTS keys CASCADE');
    }
  });
});

describe('apply on a real target', () => {
  it('applies pre-load, then post-load, with an empty diff; a rerun is a noop', async () => {
    const t = translateSchema(model, { schemas: ['public'] });
    const intents: string[] = [];
    const created: string[] = [];
    const first = await applyPreLoad(dst, t.preLoad, {
      intent: (o) => intents.push(...o.map((x) => x.name)),
      created: (o) => created.push(...o.map((x) => x.name)),
    });
    expect(first.skipped).toEqual([]);
    expect(created).toEqual(intents);
    expect(created).toContain('"public"."bots"');
    expect(created).not.toContain('"public"'); // public exists on every new database: not ours
    expect(diffSchema(t.kept, await introspectSchema(dst, ['public']), { postLoad: false })).toEqual([]);
    // Post-load objects are not there yet, and the diff says so when asked.
    const pending = diffSchema(t.kept, await introspectSchema(dst, ['public']), { postLoad: true });
    expect(pending.map((d) => d.object)).toContain('index public.bots_owner_idx');

    const post = await applyPostLoad([dst], t);
    expect(post.ran.length).toBe(t.postLoad.length);
    expect(diffSchema(t.kept, await introspectSchema(dst, ['public']), { postLoad: true })).toEqual([]);

    const again = await applyPreLoad(dst, t.preLoad, { intent: () => undefined, created: () => undefined });
    expect(again.ran).toEqual([]);
    const postAgain = await applyPostLoad(dst, t);
    expect(postAgain.ran).toEqual([]);

    // The translated RLS works with the auth shim: claims set per transaction select the user's rows.
    const c = new pg.Client(target.url());
    await c.connect();
    try {
      await c.query(
        `INSERT INTO auth.users (id, email) VALUES ('00000000-0000-4000-8000-000000000001', 'a@x.io'), ('00000000-0000-4000-8000-000000000002', 'b@x.io')`,
      );
      await c.query(
        `INSERT INTO public.bots (owner_id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'Mine'), ('00000000-0000-4000-8000-000000000002', 'Theirs')`,
      );
      await c.query('BEGIN');
      await c.query(
        `SELECT set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}', true)`,
      );
      await c.query('SET LOCAL ROLE authenticated');
      const visible = await c.query('SELECT name, slug FROM public.bots');
      expect(visible.rows).toEqual([{ name: 'Mine', slug: 'mine' }]);
      await c.query('ROLLBACK');
    } finally {
      await c.end();
    }
  });
});
