import type { Config } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import type {
  HostingSettings,
  HostingSource,
  SourceDomain,
  SourceEnvVar,
} from '../../core/hosting-source.js';
import { messages } from '../../core/messages.js';
import { providerError } from '../../core/provider-errors.js';
import { RestError, restClient } from '../../core/rest-client.js';

// Vercel project as a hosting source, through the REST API (Bearer token, optional teamId):
// GET /v9/projects/{id} for build settings, GET /v10/projects/{id}/env?decrypt=true for variables,
// GET /v9/projects/{id}/domains for domains. "sensitive" (and legacy "secret") variables are write-only
// on Vercel: their values come from local variables named in source.vercel.sensitiveFrom.
//
// The env list (https://vercel.com/docs/rest-api/projects/retrieve-the-environment-variables-of-a-project-by-id-or-name)
// documents no paging parameter; its answer is { envs, pagination }, { envs } or a single variable.
// A `pagination.next` is the Pagination object's "timestamp that must be used to request the next
// page", which Vercel's list endpoints take as `until`; a server that ignores `until` answers the same
// cursor again, and that stops the read with an error instead of looping. `decrypt` is deprecated
// there: a value it leaves encrypted is read from the documented per-variable route
// GET /v1/projects/{id}/env/{envId} ("Retrieve the decrypted value of an environment variable").

export type VercelConfig = NonNullable<Config['source']['vercel']>;

interface VercelProject {
  name: string;
  framework: string | null;
  buildCommand: string | null;
  outputDirectory: string | null;
  installCommand: string | null;
  rootDirectory: string | null;
  nodeVersion?: string | null;
  /** The connected Git repository (GET /v9/projects/{id}: link.type, org, repo, productionBranch). */
  link?: { type?: string; org?: string; repo?: string; productionBranch?: string } | null;
}

const GIT_HOSTS: Record<string, string> = {
  github: 'https://github.com',
  gitlab: 'https://gitlab.com',
  bitbucket: 'https://bitbucket.org',
};

function repositoryOf(link: VercelProject['link']): HostingSettings['repository'] {
  const host = link?.type ? GIT_HOSTS[link.type] : undefined;
  if (!host || !link?.org || !link.repo) return null;
  return { url: `${host}/${link.org}/${link.repo}`, branch: link.productionBranch ?? null };
}

interface VercelEnv {
  id?: string;
  key: string;
  value?: string;
  type: string;
  target?: string[] | string;
  gitBranch?: string | null;
  decrypted?: boolean;
}

type Paged = { pagination?: { next: number | null } | null } & Record<string, unknown>;

/** The items of one answer: its `key` array, or (the env list's single-variable form) the answer itself. */
function itemsOf<T>(page: Paged, key: string): T[] {
  const items = page[key];
  if (Array.isArray(items)) return items as T[];
  return key === 'envs' && typeof page.key === 'string' ? [page as unknown as T] : [];
}

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

  // Vercel paginates lists with `pagination.next` (a timestamp to pass as `until`). Every cursor is
  // new on a server that honours it; a repeated one means the next request would repeat too.
  async function* pages<T>(
    path: string,
    key: string,
    query: Record<string, string | undefined>,
  ): AsyncIterable<T[]> {
    let until: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const page = await call<Paged>(path, { ...query, ...(until ? { until } : {}) });
      const next = page.pagination?.next;
      const cursor = next === null || next === undefined ? undefined : String(next);
      if (cursor !== undefined && seen.has(cursor))
        throw new EngifyError({
          code: 'VERCEL_PAGINATION_REPEATED',
          kind: 'system',
          message: messages.hosting.paginationRepeated(
            key === 'envs' ? 'environment variables' : key,
            config.projectId,
            ctx.scope,
            cursor,
          ),
          hint: messages.hosting.paginationRepeatedHint,
          detail: `GET ${path} with until=${until ?? '(none)'} answered pagination.next=${cursor} again`,
        });
      yield itemsOf<T>(page, key);
      if (cursor === undefined) return;
      seen.add(cursor);
      until = cursor;
    }
  }

  /**
   * One variable from the documented per-variable read: its value when Vercel reveals it, undefined
   * when it does not (write-only), 'gone' when it was deleted since the list was read.
   */
  const readOne = async (e: VercelEnv): Promise<string | undefined | 'gone'> => {
    if (!e.id) return undefined;
    let one: VercelEnv;
    try {
      one = await get<VercelEnv>(`/v1/projects/${id}/env/${encodeURIComponent(e.id)}`);
    } catch (error) {
      // The project answered the list a moment ago: a 404 here is this variable, not the project.
      if (error instanceof RestError && error.status === 404) return 'gone';
      throw providerError(error, ctx);
    }
    return one.decrypted === true && typeof one.value === 'string' ? one.value : undefined;
  };

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
        repository: repositoryOf(p.link),
      };
    },

    async envVars(): Promise<SourceEnvVar[]> {
      const out: SourceEnvVar[] = [];
      const ids = new Set<string>();
      for await (const batch of pages<VercelEnv>(`/v10/projects/${id}/env`, 'envs', { decrypt: 'true' })) {
        for (const e of batch) {
          if (e.id !== undefined) {
            if (ids.has(e.id)) continue;
            ids.add(e.id);
          }
          const targets = Array.isArray(e.target) ? e.target : e.target ? [e.target] : [];
          // Branch-specific preview values are not the environment's value.
          if (!targets.includes(config.envTarget) || (e.gitBranch && config.envTarget === 'preview'))
            continue;
          // Legacy secrets answer the secret's id, never its value.
          if (e.type === 'secret') {
            out.push(fromLocal(e, config, env));
            continue;
          }
          // An encrypted value is the value only when the list says it decrypted it. A sensitive one is
          // never taken from the list; only a decrypted per-variable read could reveal it (Vercel
          // documents them as write-only, so in practice it comes from sensitiveFrom).
          const hidden = e.type === 'sensitive' || (e.type === 'encrypted' && e.decrypted !== true);
          if (!hidden) {
            out.push({ key: e.key, value: e.value ?? '', type: e.type, sensitive: false });
            continue;
          }
          const value = await readOne(e);
          if (value === 'gone') continue;
          out.push(
            value === undefined
              ? fromLocal(e, config, env)
              : { key: e.key, value, type: e.type, sensitive: e.type === 'sensitive' },
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
