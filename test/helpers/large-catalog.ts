import { inject } from 'vitest';
import { type QdrantStandIn, startQdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { uniqueName, withDatabase } from './db-cli-fixture.js';
import { runSql } from './db-copy-fixture.js';

// A large source without the data, for the plan-at-scale tests (cost estimate, copy paths): a table
// whose size exists only in hand-set statistics (pg_class.reltuples and relpages, as ANALYZE would leave
// them, so plan reads no row), real Supabase Auth users, and a Qdrant collection the stand-in makes as
// it is read. Components alternate between two float32s whose shortest decimals have 8 significant
// digits, and ids start at 10^9 (every id has 10 digits, whichever points the plan samples).

export interface LargeCatalog {
  qdrant: QdrantStandIn;
  sourceUrl: string;
}

export async function largeCatalog(o: {
  name: string;
  users: number;
  points: number;
  dims: number;
  rows: number;
  pages: number;
  /** SQL for auth.users.last_sign_in_at of user `g` (the MAU the cost estimate counts). */
  lastSignIn: string;
}): Promise<LargeCatalog> {
  const qdrant = await startQdrantStandIn();
  const vector = Array.from({ length: o.dims }, (_, i) => (i % 2 === 0 ? 1.2345679 : -2.3456788));
  qdrant.generate(
    'docs',
    { vectors: { size: o.dims, distance: 'Dot' } },
    { count: o.points, firstId: 1e9, point: (id) => ({ vector, payload: { bot_id: `b${id % 10}` } }) },
  );
  const cluster = inject('stack').postgresUrl;
  const name = uniqueName(o.name);
  runSql(cluster, `CREATE DATABASE ${name}`);
  const sourceUrl = withDatabase(cluster, name);
  runSql(
    sourceUrl,
    `CREATE SCHEMA auth;
     CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, phone text, encrypted_password text,
       email_confirmed_at timestamptz, phone_confirmed_at timestamptz, created_at timestamptz,
       last_sign_in_at timestamptz, raw_user_meta_data jsonb, raw_app_meta_data jsonb);
     CREATE TABLE auth.identities (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       user_id uuid REFERENCES auth.users (id), provider text, provider_id text, identity_data jsonb);
     INSERT INTO auth.users
       SELECT gen_random_uuid(), 'user' || g || '@example.com', NULL, NULL, now(), NULL,
              now() - interval '400 days', ${o.lastSignIn}, '{}', '{}'
         FROM generate_series(1, ${o.users}) g;
     CREATE TABLE public.events (id bigint PRIMARY KEY, body text);
     UPDATE pg_class SET reltuples = ${o.rows}, relpages = ${o.pages} WHERE oid = 'public.events'::regclass;`,
  );
  // Alone: VACUUM cannot run inside the implicit transaction of a multi-statement query.
  runSql(sourceUrl, 'VACUUM ANALYZE auth.users');
  return { qdrant, sourceUrl };
}
