import {
  functionExists,
  grantExists,
  qualifiedIdent,
  quoteIdent,
  relationExists,
  roleExists,
  type Statement,
  schemaAcl,
  schemaExists,
} from './statements.js';

// What Supabase provides and RDS does not, recreated so the app's schema keeps working unchanged:
//
// - roles anon / authenticated / service_role, as NOLOGIN roles (the app's login role switches to them
//   with SET LOCAL ROLE, as Supabase's PostgREST does);
// - an `auth` schema with an `auth.users` table holding the columns foreign keys and the auth migration
//   need (never password hashes: passwords go to Cognito), filled by db.copy / the auth migration;
// - auth.uid(), auth.jwt(), auth.role(), auth.email() reading the request's JWT claims from the
//   `request.jwt.claims` setting. The app sets it per transaction, as PostgREST does on Supabase:
//
//     BEGIN;
//     SELECT set_config('request.jwt.claims', '{"sub":"<user id>","role":"authenticated"}', true);
//     SET LOCAL ROLE authenticated;
//     ... queries: RLS policies calling auth.uid() see the user ...
//     COMMIT;
//
//   With Cognito tokens, pass the verified token's claims; auth.uid() prefers "custom:supabase_id"
//   (the legacy id the auth migration stores on each user) over "sub", so rows owned by migrated users
//   keep matching.

export const SUPABASE_API_ROLES = ['anon', 'authenticated', 'service_role'] as const;

/** Columns of the target's auth.users, in order; db.copy copies these from the source's auth.users. */
export const AUTH_USERS_COLUMNS: { name: string; type: string; extra?: string }[] = [
  { name: 'instance_id', type: 'uuid' },
  { name: 'id', type: 'uuid', extra: 'NOT NULL PRIMARY KEY' },
  { name: 'aud', type: 'character varying(255)' },
  { name: 'role', type: 'character varying(255)' },
  { name: 'email', type: 'character varying(255)' },
  { name: 'email_confirmed_at', type: 'timestamp with time zone' },
  { name: 'phone', type: 'text', extra: 'UNIQUE' },
  { name: 'phone_confirmed_at', type: 'timestamp with time zone' },
  { name: 'last_sign_in_at', type: 'timestamp with time zone' },
  { name: 'raw_app_meta_data', type: 'jsonb' },
  { name: 'raw_user_meta_data', type: 'jsonb' },
  { name: 'is_super_admin', type: 'boolean' },
  { name: 'is_sso_user', type: 'boolean', extra: 'NOT NULL DEFAULT false' },
  { name: 'is_anonymous', type: 'boolean', extra: 'NOT NULL DEFAULT false' },
  { name: 'banned_until', type: 'timestamp with time zone' },
  { name: 'deleted_at', type: 'timestamp with time zone' },
  { name: 'created_at', type: 'timestamp with time zone', extra: 'DEFAULT now()' },
  { name: 'updated_at', type: 'timestamp with time zone', extra: 'DEFAULT now()' },
];

const claims = `nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb`;

const AUTH_FUNCTIONS: { name: string; returns: string; body: string }[] = [
  {
    name: 'jwt',
    returns: 'jsonb',
    body: `SELECT coalesce(nullif(pg_catalog.current_setting('request.jwt.claim', true), '')::jsonb, ${claims})`,
  },
  {
    name: 'uid',
    returns: 'uuid',
    body: `SELECT nullif(coalesce(${claims} ->> 'custom:supabase_id', ${claims} ->> 'sub', pg_catalog.current_setting('request.jwt.claim.sub', true)), '')::uuid`,
  },
  {
    name: 'role',
    returns: 'text',
    body: `SELECT nullif(coalesce(${claims} ->> 'role', pg_catalog.current_setting('request.jwt.claim.role', true)), '')::text`,
  },
  {
    name: 'email',
    returns: 'text',
    body: `SELECT nullif(coalesce(${claims} ->> 'email', pg_catalog.current_setting('request.jwt.claim.email', true)), '')::text`,
  },
];

export function apiRoleStatements(name: string): Statement[] {
  const out: Statement[] = [
    {
      key: `role ${name}`,
      kind: 'role',
      sql: `CREATE ROLE ${quoteIdent(name)} NOLOGIN NOINHERIT`,
      existsSql: roleExists(name),
      creates: { kind: 'role', name: quoteIdent(name) },
    },
  ];
  if (name === 'service_role') {
    // Supabase's service_role bypasses RLS; a managed server may refuse BYPASSRLS to a non-superuser.
    out.push({
      key: 'role service_role BYPASSRLS',
      kind: 'role',
      sql: 'ALTER ROLE "service_role" BYPASSRLS',
      existsSql: `SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role' AND rolbypassrls`,
      optional: true,
    });
  }
  return out;
}

export function authShimStatements(): Statement[] {
  const columns = AUTH_USERS_COLUMNS.map(
    (c) => `  ${quoteIdent(c.name)} ${c.type}${c.extra ? ` ${c.extra}` : ''}`,
  ).join(',\n');
  const out: Statement[] = [
    {
      key: 'schema auth',
      kind: 'schema',
      sql: 'CREATE SCHEMA IF NOT EXISTS "auth"',
      existsSql: schemaExists('auth'),
      creates: { kind: 'schema', name: '"auth"' },
    },
    {
      key: 'table auth.users',
      kind: 'table',
      sql: `CREATE TABLE IF NOT EXISTS "auth"."users" (\n${columns}\n)`,
      existsSql: relationExists('auth', 'users'),
      creates: { kind: 'table', name: '"auth"."users"' },
      table: 'auth.users',
    },
  ];
  for (const f of AUTH_FUNCTIONS) {
    out.push({
      key: `function auth.${f.name}()`,
      kind: 'function',
      sql: `CREATE OR REPLACE FUNCTION ${qualifiedIdent('auth', f.name)}() RETURNS ${f.returns} LANGUAGE sql STABLE AS $engify$ ${f.body} $engify$`,
      existsSql: functionExists('auth', f.name, ''),
      creates: { kind: 'function', name: `${qualifiedIdent('auth', f.name)}()` },
    });
  }
  for (const role of SUPABASE_API_ROLES) {
    out.push({
      key: `grant USAGE on schema auth to ${role}`,
      kind: 'grant',
      sql: `GRANT USAGE ON SCHEMA "auth" TO ${quoteIdent(role)}`,
      existsSql: grantExists(schemaAcl('auth'), role, ['USAGE']),
    });
  }
  return out;
}
