import { afterAll, describe, expect, it } from 'vitest';
import { EngifyError } from '../../src/core/errors.js';
import type { HostingSource } from '../../src/core/hosting-source.js';
import { createRenderSource } from '../../src/providers/render/render-source.js';
import { createVercelSource } from '../../src/providers/vercel/vercel-source.js';
import type { RunningStandIn } from '../../src/sandbox/http-stand-in.js';
import { startRenderApi } from '../../src/sandbox/render-api.js';
import { startVercelApi } from '../../src/sandbox/vercel-api.js';

// One HostingSource contract, run through the same cases against the Vercel and Render sources, each
// over HTTP against its stand-in seeded with the same app: its build settings, 130 variables (more
// than one page on both: Vercel's default 20, Render's 100) and its custom domains. Errors must be
// config errors that name the field to fix, whichever provider answered.

const TOKEN = 'contract-token';
const VARS = Array.from({ length: 130 }, (_, i) => ({
  key: `VAR_${String(i).padStart(3, '0')}`,
  value: `value ${i} = "é&?"`,
}));
const DOMAINS = [
  { name: 'www.example.com', verified: true },
  { name: 'example.com', verified: true },
  { name: 'pending.example.org', verified: false },
];

interface Made {
  source: (overrides?: { token?: string; id?: string }) => HostingSource;
  stop(): Promise<void>;
}

interface Implementation {
  name: string;
  provider: 'vercel' | 'render';
  credentialField: string;
  idField: string;
  codePrefix: string;
  start(): Promise<Made>;
  /** Start a source at an address nothing answers on. */
  unreachable(url: string): HostingSource;
}

const closeAll: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closeAll) await c();
});

const implementations: Implementation[] = [
  {
    name: 'Vercel project (stand-in)',
    provider: 'vercel',
    credentialField: 'source.vercel.token',
    idField: 'source.vercel.projectId',
    codePrefix: 'VERCEL',
    async start() {
      const api = await startVercelApi({
        tokens: [TOKEN],
        projects: [
          {
            id: 'prj_contract',
            name: 'contract-web',
            framework: 'nextjs',
            buildCommand: 'npm run build',
            outputDirectory: null,
            installCommand: null,
            rootDirectory: null,
            nodeVersion: '20.x',
            env: VARS.map((v, i) => ({
              ...v,
              type: i % 2 === 0 ? ('plain' as const) : ('encrypted' as const),
              target: ['production' as const],
            })),
            domains: [...DOMAINS, { name: 'contract-web.vercel.app', verified: true }],
          },
        ],
      });
      return {
        source: (o = {}) =>
          createVercelSource(
            {
              token: o.token ?? TOKEN,
              projectId: o.id ?? 'prj_contract',
              apiUrl: api.url,
              envTarget: 'production',
              sensitiveFrom: {},
            },
            { attempts: 1 },
          ),
        stop: () => api.close(),
      };
    },
    unreachable: (url) =>
      createVercelSource(
        { token: TOKEN, projectId: 'p', apiUrl: url, envTarget: 'production', sensitiveFrom: {} },
        { attempts: 1, timeoutMs: 2000 },
      ),
  },
  {
    name: 'Render service (stand-in)',
    provider: 'render',
    credentialField: 'source.render.apiKey',
    idField: 'source.render.serviceId',
    codePrefix: 'RENDER',
    async start() {
      const api: RunningStandIn = await startRenderApi({
        apiKeys: [TOKEN],
        services: [
          {
            id: 'srv-contract',
            name: 'contract-web',
            type: 'web_service',
            runtime: 'node',
            region: 'frankfurt',
            buildCommand: 'npm run build',
            startCommand: 'npm start',
            env: VARS,
            customDomains: DOMAINS,
          },
        ],
      });
      return {
        source: (o = {}) =>
          createRenderSource(
            {
              apiKey: o.token ?? TOKEN,
              serviceId: o.id ?? 'srv-contract',
              apiUrl: `${api.url}/v1`,
              envGroups: true,
            },
            { attempts: 1 },
          ),
        stop: () => api.close(),
      };
    },
    unreachable: (url) =>
      createRenderSource(
        { apiKey: TOKEN, serviceId: 's', apiUrl: url, envGroups: false },
        { attempts: 1, timeoutMs: 2000 },
      ),
  },
];

const SETTINGS_KEYS = [
  'buildCommand',
  'framework',
  'installCommand',
  'name',
  'nodeVersion',
  'outputDirectory',
  'provider',
  'region',
  'rootDirectory',
  'runtime',
  'serviceType',
  'startCommand',
];

describe.each(implementations)('HostingSource contract: $name', (impl) => {
  let made: Made;
  const source = (o?: { token?: string; id?: string }) => made.source(o);
  it('starts its stand-in', async () => {
    made = await impl.start();
    closeAll.push(() => made.stop());
  });

  it('settings: the neutral shape, every field present (null where the provider has none)', async () => {
    const s = await source().settings();
    // The structured extras are optional: the repository link (for Amplify's repository deploy) and a
    // web service's runtime details (for the backend move); every other field is always there.
    const optional = new Set(['repository', 'service']);
    expect(
      Object.keys(s)
        .filter((k) => !optional.has(k))
        .sort(),
    ).toEqual(SETTINGS_KEYS);
    if (s.repository) expect(typeof s.repository.url).toBe('string');
    expect(s.provider).toBe(impl.provider);
    expect(s.name).toBe('contract-web');
    expect(s.buildCommand).toBe('npm run build');
    for (const [k, v] of Object.entries(s))
      if (v !== null && !optional.has(k)) expect(typeof v, k).toBe('string');
  });

  it('env vars: every variable of every page, once, with its value', async () => {
    const vars = await source().envVars();
    expect(vars.map((v) => v.key).sort()).toEqual(VARS.map((v) => v.key));
    const byKey = new Map(vars.map((v) => [v.key, v]));
    for (const v of VARS) {
      expect(byKey.get(v.key)?.value, v.key).toBe(v.value);
      expect(byKey.get(v.key)?.sensitive, v.key).toBe(false);
      expect(typeof byKey.get(v.key)?.type).toBe('string');
    }
  });

  it('domains: the custom domains with their verification (provider-owned hostnames left out)', async () => {
    const domains = await source().domains();
    expect([...domains].sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      [...DOMAINS].sort((a, b) => a.name.localeCompare(b.name)).map((d) => ({ ...d, redirect: null })),
    );
  });

  it('a rejected credential is a config error naming the credential field, from every call', async () => {
    const bad = source({ token: 'wrong-token' });
    for (const call of [() => bad.settings(), () => bad.envVars(), () => bad.domains()]) {
      const e = await call().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(EngifyError);
      expect(e).toMatchObject({ kind: 'config', code: `${impl.codePrefix}_AUTH` });
      expect((e as EngifyError).message).toContain(impl.credentialField);
      expect((e as EngifyError).hint).toContain(impl.credentialField);
      // The token itself never appears in what the user sees.
      expect(JSON.stringify({ m: (e as EngifyError).message, h: (e as EngifyError).hint })).not.toContain(
        'wrong-token',
      );
    }
  });

  it('an unknown project/service is a config error naming the id and the id field', async () => {
    const missing = source({ id: 'does-not-exist' });
    for (const call of [() => missing.settings(), () => missing.envVars(), () => missing.domains()]) {
      const e = await call().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(EngifyError);
      expect(e).toMatchObject({ kind: 'config', code: `${impl.codePrefix}_NOT_FOUND` });
      expect((e as EngifyError).message).toContain('does-not-exist');
      expect((e as EngifyError).hint).toContain(impl.idField);
    }
  });

  it('an unreachable API is a transient error naming the host', async () => {
    const e = await impl
      .unreachable('http://127.0.0.1:9')
      .settings()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngifyError);
    expect(e).toMatchObject({ kind: 'transient' });
    expect((e as EngifyError).message).toContain('127.0.0.1:9');
  });
});
