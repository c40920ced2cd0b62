import type { Config } from '../../config/schema.js';
import type {
  HostingSettings,
  HostingSource,
  SourceDomain,
  SourceEnvVar,
} from '../../core/hosting-source.js';
import { messages } from '../../core/messages.js';
import { providerError } from '../../core/provider-errors.js';
import { restClient } from '../../core/rest-client.js';

// Vercel project as a hosting source, through the REST API (Bearer token, optional teamId):
// GET /v9/projects/{id} for build settings, GET /v10/projects/{id}/env?decrypt=true for variables,
// GET /v9/projects/{id}/domains for domains. "sensitive" (and legacy "secret") variables are write-only
// on Vercel: their values come from local variables named in source.vercel.sensitiveFrom.

export type VercelConfig = NonNullable<Config['source']['vercel']>;

interface VercelProject {
  name: string;
  framework: string | null;
  buildCommand: string | null;
  outputDirectory: string | null;
  installCommand: string | null;
  rootDirectory: string | null;
  nodeVersion?: string | null;
}

interface VercelEnv {
  key: string;
  value?: string;
  type: string;
  target?: string[] | string;
  gitBranch?: string | null;
  decrypted?: boolean;
}

type Paged = { pagination?: { next: number | null } | null } & Record<string, unknown>;

export function createVercelSource(
  config: VercelConfig,
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; timeoutMs?: number; attempts?: number } = {},
): HostingSource {
  const env = options.env ?? process.env;
  const get = restClient({
    baseUrl: config.apiUrl,
    token: config.token,
    query: { teamId: config.teamId },
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    attempts: options.attempts,
  });
  const id = encodeURIComponent(config.projectId);
  const ctx = {
    provider: 'Vercel' as const,
    credentialField: 'source.vercel.token',
    what: 'project',
    id: config.projectId,
    idField: 'source.vercel.projectId',
    scope: messages.hosting.teamScope(config.teamId),
  };
  const call = async <T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> => {
    try {
      return await get<T>(path, query);
    } catch (error) {
      throw providerError(error, ctx);
    }
  };

  // Vercel paginates lists with `pagination.next` (a timestamp to pass as `until`).
  async function* pages<T>(
    path: string,
    key: string,
    query: Record<string, string | undefined>,
  ): AsyncIterable<T[]> {
    let until: string | undefined;
    for (;;) {
      const page = await call<Paged>(path, { ...query, ...(until ? { until } : {}) });
      yield (page[key] as T[] | undefined) ?? [];
      const next = page.pagination?.next;
      if (next === null || next === undefined) return;
      until = String(next);
    }
  }

  return {
    async settings(): Promise<HostingSettings> {
      const p = await call<VercelProject>(`/v9/projects/${id}`);
      return {
        provider: 'vercel',
        name: p.name,
        framework: p.framework ?? null,
        buildCommand: p.buildCommand ?? null,
        outputDirectory: p.outputDirectory ?? null,
        installCommand: p.installCommand ?? null,
        rootDirectory: p.rootDirectory ?? null,
        nodeVersion: p.nodeVersion ?? null,
        startCommand: null,
        runtime: 'node',
        region: null,
        serviceType: null,
      };
    },

    async envVars(): Promise<SourceEnvVar[]> {
      const out: SourceEnvVar[] = [];
      for await (const batch of pages<VercelEnv>(`/v10/projects/${id}/env`, 'envs', { decrypt: 'true' })) {
        for (const e of batch) {
          const targets = Array.isArray(e.target) ? e.target : e.target ? [e.target] : [];
          // Branch-specific preview values are not the environment's value.
          if (!targets.includes(config.envTarget) || (e.gitBranch && config.envTarget === 'preview'))
            continue;
          const writeOnly = e.type === 'sensitive' || e.type === 'secret';
          if (!writeOnly && e.type === 'encrypted' && e.decrypted === false) {
            // The API declined to decrypt (older projects): treat like write-only.
            out.push(fromLocal(e, config, env));
            continue;
          }
          out.push(
            writeOnly
              ? fromLocal(e, config, env)
              : { key: e.key, value: e.value ?? '', type: e.type, sensitive: false },
          );
        }
      }
      return out;
    },

    async domains(): Promise<SourceDomain[]> {
      const out: SourceDomain[] = [];
      for await (const batch of pages<{
        name: string;
        verified: boolean;
        redirect?: string | null;
        gitBranch?: string | null;
      }>(`/v9/projects/${id}/domains`, 'domains', {}))
        for (const d of batch) {
          if (d.name.endsWith('.vercel.app') || d.gitBranch) continue;
          out.push({ name: d.name, verified: d.verified, redirect: d.redirect ?? null });
        }
      return out;
    },
  };
}

function fromLocal(e: VercelEnv, config: VercelConfig, env: NodeJS.ProcessEnv): SourceEnvVar {
  const local = config.sensitiveFrom[e.key];
  const value = local ? env[local] : undefined;
  return {
    key: e.key,
    value: value === undefined || value === '' ? undefined : value,
    type: e.type,
    sensitive: true,
    ...(local ? { localSource: local } : {}),
  };
}
