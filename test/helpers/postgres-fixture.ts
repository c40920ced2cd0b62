import { readFileSync } from 'node:fs';
import { EXTRA_SQL, fixturePath, runSql } from './db-copy-fixture.js';

// The shared fixture without the Supabase parts, for a plain PostgreSQL source (Neon, a self-hosted
// server): the same application schema and data, with the users in an app table of its own instead of
// auth.users, no Supabase roles, and policies on current_user instead of auth.uid(). Derived from
// supabase-fixture.sql so both sources keep covering the same column types.

export function plainPostgresFixture(): string {
  const full = readFileSync(fixturePath, 'utf8');
  const extensions = full.slice(
    full.indexOf('CREATE SCHEMA IF NOT EXISTS extensions;'),
    full.indexOf('-- Supabase Auth'),
  );
  let app = full.slice(full.indexOf('-- The application'));
  const cut = (from: string, to: string) => {
    const a = app.indexOf(from);
    const b = app.indexOf(to, a);
    if (a === -1 || b === -1) throw new Error(`fixture changed: cannot find ${from} .. ${to}`);
    app = app.slice(0, a) + app.slice(b);
  };
  // Supabase-only: a function over storage, the policies on auth.uid()/auth.jwt(), grants to its roles.
  cut('-- Depends on a Supabase-only schema', 'ALTER TABLE public.bots ENABLE ROW LEVEL SECURITY;');
  cut('CREATE POLICY "owners read bots"', 'ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;');
  cut('CREATE POLICY "profiles self"', '-- Data ---');
  cut('INSERT INTO auth.identities', 'INSERT INTO public.profiles');
  app = app
    .replace(
      '-- The application',
      `CREATE TABLE public.accounts (
  id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE,
  display_name text,
  created_at timestamptz NOT NULL
);
-- The application`,
    )
    .replaceAll('REFERENCES auth.users (id)', 'REFERENCES public.accounts (id)')
    .replace(
      /INSERT INTO auth\.users \([^)]*\)\nSELECT[\s\S]*?FROM generate_series\(1, 5\) AS i;/,
      `INSERT INTO public.accounts (id, email, display_name, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'user' || i || '@example.com', 'User ' || i,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, 5) AS i;`,
    )
    .replaceAll('FROM auth.users', 'FROM public.accounts')
    .replaceAll('JOIN auth.users u', 'JOIN public.accounts u');
  const policies = `ALTER TABLE public.bots ENABLE ROW LEVEL SECURITY;
CREATE POLICY "owners read bots" ON public.bots FOR SELECT USING (owner_id::text = current_setting('app.user_id', true));
`;
  if (/\bauth\.|storage\.|anon|authenticated|service_role/.test(app.replace(/--.*$/gm, '')))
    throw new Error('plain fixture still names a Supabase part');
  return `${extensions}\n${app}\n${policies}`;
}

export function seedPlainSource(url: string, rows: number): void {
  runSql(url, plainPostgresFixture());
  runSql(url, EXTRA_SQL(rows));
}
