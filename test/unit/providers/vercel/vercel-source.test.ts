import { afterEach, describe, expect, it } from 'vitest';
import { createVercelSource, type VercelConfig } from '../../../../src/providers/vercel/vercel-source.js';
import {
  startVercelApi,
  type VercelEnvSeed,
  type VercelStandIn,
  type VercelStandInOptions,
} from '../../../../src/sandbox/vercel-api.js';

// The Vercel source against the stand-in over HTTP: the env list read page by page through
// `pagination.next`, a cursor the server repeats stopped with an error naming project and cursor
// (before, the loop never ended), and values the deprecated decrypt=true no longer reveals read one by
// one from GET /v1/projects/{idOrName}/env/{id}.

const TOKEN = 'vercel-unit-token';
const running: VercelStandIn[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});

const env = (n: number): VercelEnvSeed[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `VAR_${String(i).padStart(2, '0')}`,
    value: `value-${i}`,
    type: i % 2 === 0 ? 'plain' : 'encrypted',
    target: ['production'],
  }));

async function start(seed: VercelEnvSeed[], options: Partial<VercelStandInOptions> = {}) {
  const api = await startVercelApi({
    tokens: [TOKEN],
    projects: [
      {
        id: 'prj_unit',
        name: 'unit-web',
        framework: 'nextjs',
        buildCommand: null,
        outputDirectory: null,
        installCommand: null,
        rootDirectory: null,
        nodeVersion: '20.x',
        env: seed,
        domains: [],
      },
    ],
    ...options,
  });
  running.push(api);
  const config: VercelConfig = {
    token: TOKEN,
    projectId: 'prj_unit',
    apiUrl: api.url,
    envTarget: 'production',
    sensitiveFrom: { STRIPE_KEY: 'LOCAL_STRIPE' },
  };
  return { api, source: createVercelSource(config, { env: { LOCAL_STRIPE: 'sk_local' }, attempts: 1 }) };
}

const listRequests = (api: VercelStandIn) =>
  api.requests.filter((r) => r.path === '/v10/projects/prj_unit/env');

describe('Vercel source: env vars', () => {
  it('reads every page of the list, passing each pagination.next as until', async () => {
    const { api, source } = await start(env(7), { envPageSize: 3 });
    const vars = await source.envVars();
    expect(vars.map((v) => v.key).sort()).toEqual(env(7).map((e) => e.key));
    expect(vars.find((v) => v.key === 'VAR_01')?.value).toBe('value-1');
    const pages = listRequests(api);
    expect(pages).toHaveLength(3);
    expect(pages[0]?.query.until).toBeUndefined();
    expect(pages.slice(1).map((r) => r.query.until)).toEqual([
      String(1_700_000_000_000 + 4000),
      String(1_700_000_000_000 + 1000),
    ]);
  });

  it('stops with an error naming the project and the cursor when the server repeats a cursor', async () => {
    const { api, source } = await start(env(5), { envPageSize: 2, envIgnoresUntil: true });
    const error = await source.envVars().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'VERCEL_PAGINATION_REPEATED' });
    const message = (error as Error).message;
    expect(message).toContain('prj_unit');
    expect(message).toContain(String(1_700_000_000_000 + 3000));
    expect((error as { hint?: string }).hint).toBeTruthy();
    // The first page and the one that repeated its cursor: no more.
    expect(listRequests(api)).toHaveLength(2);
  }, 10_000);

  it('reads a value the list left encrypted from GET /v1/projects/{id}/env/{id}', async () => {
    const seed: VercelEnvSeed[] = [
      { key: 'PLAIN', value: 'p', type: 'plain', target: ['production'] },
      { key: 'SECRET_URL', value: 'postgres://u:pw@h/db', type: 'encrypted', target: ['production'] },
      { key: 'STRIPE_KEY', value: 'sk_live_never_shown', type: 'sensitive', target: ['production'] },
    ];
    const { api, source } = await start(seed, { decryptIgnored: true });
    const vars = await source.envVars();
    expect(vars.find((v) => v.key === 'SECRET_URL')).toMatchObject({
      value: 'postgres://u:pw@h/db',
      sensitive: false,
    });
    expect(vars.find((v) => v.key === 'PLAIN')?.value).toBe('p');
    // Sensitive stays write-only on Vercel, even read one by one: the local value is used.
    expect(vars.find((v) => v.key === 'STRIPE_KEY')).toMatchObject({
      value: 'sk_local',
      sensitive: true,
      localSource: 'LOCAL_STRIPE',
    });
    const single = api.requests
      .filter((r) => r.path.startsWith('/v1/projects/prj_unit/env/'))
      .map((r) => r.path);
    expect(single).toContain('/v1/projects/prj_unit/env/env_1');
    expect(single).not.toContain('/v1/projects/prj_unit/env/env_0');
  });

  it('reads no value one by one when the list already decrypted it', async () => {
    const { api, source } = await start(env(4));
    const vars = await source.envVars();
    expect(vars.find((v) => v.key === 'VAR_03')?.value).toBe('value-3');
    expect(api.requests.filter((r) => r.path.startsWith('/v1/'))).toEqual([]);
  });
});
