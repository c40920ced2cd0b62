import { describe, expect, it } from 'vitest';
import { type AwsValues, rewriteEnv } from '../../../../src/components/hosting/env-rewrite.js';
import { chooseDomain } from '../../../../src/components/hosting/hosting-domain.js';
import type { HostingSettings } from '../../../../src/core/hosting-source.js';
import { buildSpec, platformFor } from '../../../../src/providers/amplify/build-spec.js';

const aws: AwsValues = {
  region: { value: 'eu-west-1' },
  userPoolId: { value: 'pool-1' },
  appClientId: { missing: 'output', step: 'auth.pool', key: 'appClientId' },
  vectorTable: { missing: 'config', field: 'target.dynamodb' },
  bucket: { value: 'files' },
  databaseUrl: { value: 'postgres://u:p@h/db', secret: true },
  databaseResourceArn: { missing: 'config', field: 'target.rds' },
  databaseSecretArn: { missing: 'config', field: 'target.rds' },
  databaseName: { missing: 'config', field: 'target.rds' },
};
const cfg = { envMapping: {}, secretKeys: [], plainKeys: [] };
const v = (key: string, value: string | undefined, sensitive = false) => ({
  key,
  value,
  type: 'plain',
  sensitive,
});

describe('rewriteEnv', () => {
  it('maps Supabase/Qdrant variables, classifies secrets, and skips rules for components not migrated', () => {
    const r = rewriteEnv(
      [
        v('NEXT_PUBLIC_SUPABASE_URL', 'https://x.supabase.co'),
        v('DATABASE_URL', 'postgres://old'),
        v('QDRANT_URL', 'q'),
        v('PLAIN', 'p'),
      ],
      cfg,
      aws,
      'pg',
    );
    const by = Object.fromEntries(r.vars.map((x) => [x.key, x]));
    expect(by.NEXT_PUBLIC_COGNITO_USER_POOL_ID).toMatchObject({ value: 'pool-1', secret: false });
    expect(by.DATABASE_URL).toMatchObject({
      value: 'postgres://u:p@h/db',
      secret: true,
      from: 'databaseUrl',
    });
    expect(by.SUPABASE_DATABASE_URL).toMatchObject({ value: 'postgres://old', secret: true });
    expect(by.PLAIN?.secret).toBe(false);
    expect(by.VECTOR_TABLE).toBeUndefined(); // target.dynamodb not configured: built-in rule not applied
    expect(r.problems).toEqual([]);
  });

  it('reports missing phase-1 outputs, unreadable values, and honours overrides', () => {
    const r = rewriteEnv(
      [
        v('NEXT_PUBLIC_SUPABASE_ANON_KEY', 'anon'),
        v('SECRETISH', undefined, true),
        v('API_TOKEN', 't'),
        v('NAME', 'n'),
      ],
      {
        envMapping: {
          NAME: { drop: false, rename: 'NEW_NAME', secret: true, set: { EXTRA: { value: 'lit' } } },
        },
        secretKeys: [],
        plainKeys: ['API_TOKEN'],
      },
      aws,
      'pg',
    );
    expect(r.problems).toEqual(
      expect.arrayContaining([
        {
          kind: 'missing-output',
          key: 'NEXT_PUBLIC_COGNITO_CLIENT_ID',
          from: 'appClientId',
          step: 'auth.pool',
          output: 'appClientId',
        },
        { kind: 'unreadable', key: 'SECRETISH' },
      ]),
    );
    const by = Object.fromEntries(r.vars.map((x) => [x.key, x]));
    expect(by.API_TOKEN?.secret).toBe(false);
    expect(by.NEW_NAME).toMatchObject({ value: 'n', secret: true });
    expect(by.EXTRA?.value).toBe('lit');
  });
});

describe('build spec and platform', () => {
  const base: HostingSettings = {
    provider: 'vercel',
    name: 'x',
    framework: 'vite',
    buildCommand: 'vite build',
    outputDirectory: null,
    installCommand: null,
    rootDirectory: null,
    nodeVersion: '18.x',
    startCommand: null,
    runtime: 'node',
    region: null,
    serviceType: null,
  };
  it('uses the framework defaults and commands', () => {
    const spec = buildSpec(base);
    expect(spec).toMatch(/^version: 1\nfrontend:/);
    expect(spec).toContain('- vite build');
    expect(spec).toContain('- npm ci');
    expect(spec).toContain('baseDirectory: dist');
    expect(spec).toContain('nvm use 18');
    expect(platformFor(base)).toBe('WEB');
    expect(platformFor({ ...base, framework: 'nextjs' })).toBe('WEB_COMPUTE');
    expect(platformFor({ ...base, framework: 'nextjs', outputDirectory: 'out' })).toBe('WEB');
    expect(platformFor({ ...base, framework: 'nextjs' }, 'WEB')).toBe('WEB');
    expect(buildSpec({ ...base, buildCommand: 'echo a: b' })).toContain('- "echo a: b"');
  });
  it('chooses the root domain and prefixes from the source', () => {
    expect(
      chooseDomain(undefined, [
        { name: 'shop.io', verified: true, redirect: null },
        { name: 'www.shop.io', verified: true, redirect: null },
      ]),
    ).toEqual({ domain: 'shop.io', prefixes: ['', 'www'] });
    expect(chooseDomain(undefined, [{ name: 'x.io', verified: false, redirect: null }])).toBeUndefined();
    expect(chooseDomain('given.dev', [])).toEqual({ domain: 'given.dev', prefixes: ['', 'www'] });
  });
});
