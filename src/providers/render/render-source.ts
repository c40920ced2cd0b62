import type { Config } from '../../config/schema.js';
import type {
  HostingSettings,
  HostingSource,
  SourceDomain,
  SourceEnvVar,
} from '../../core/hosting-source.js';
import { providerError } from '../../core/provider-errors.js';
import { restClient } from '../../core/rest-client.js';

// Render service as a hosting source, through the REST API (Bearer API key): GET /services/{id} for
// build/start commands, runtime and region; GET /services/{id}/env-vars and GET /env-groups with cursor
// pagination ({ cursor, envVar } items; a short page ends the list); GET /env-groups/{id} for the
// variables of groups linked to the service; GET /services/{id}/custom-domains.

export type RenderConfig = NonNullable<Config['source']['render']>;

const PAGE = 100;

interface RenderService {
  name: string;
  type: string;
  rootDir?: string | null;
  repo?: string | null;
  branch?: string | null;
  serviceDetails?: {
    healthCheckPath?: string;
    plan?: string;
    numInstances?: number;
    url?: string;
    disk?: { name: string; mountPath: string; sizeGB: number } | null;
    runtime?: string;
    env?: string;
    region?: string;
    buildCommand?: string;
    publishPath?: string;
    envSpecificDetails?: { buildCommand?: string; startCommand?: string };
  };
}

export function createRenderSource(
  config: RenderConfig,
  options: { signal?: AbortSignal; timeoutMs?: number; attempts?: number } = {},
): HostingSource {
  const get = restClient({
    baseUrl: config.apiUrl,
    token: config.apiKey,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    attempts: options.attempts,
  });
  const id = encodeURIComponent(config.serviceId);
  const base = {
    provider: 'Render' as const,
    credentialField: 'source.render.apiKey',
    what: 'service',
    id: config.serviceId,
    idField: 'source.render.serviceId',
  };
  const call = async <T>(
    path: string,
    query: Record<string, string | undefined> = {},
    what = base.what,
    ident = base.id,
  ) => {
    try {
      return await get<T>(path, query);
    } catch (error) {
      throw providerError(error, { ...base, what, id: ident });
    }
  };

  async function* cursorPages<T>(path: string): AsyncIterable<T[]> {
    let cursor: string | undefined;
    for (;;) {
      const page = await call<({ cursor: string } & Record<string, unknown>)[]>(path, {
        limit: String(PAGE),
        cursor,
      });
      yield page as unknown as T[];
      if (page.length < PAGE) return;
      cursor = page.at(-1)?.cursor;
      if (!cursor) return;
    }
  }

  return {
    async settings(): Promise<HostingSettings> {
      const s = await call<RenderService>(`/services/${id}`);
      const d = s.serviceDetails ?? {};
      return {
        provider: 'render',
        name: s.name,
        framework: null,
        buildCommand: d.envSpecificDetails?.buildCommand || d.buildCommand || null,
        outputDirectory: d.publishPath ?? null,
        installCommand: null,
        rootDirectory: s.rootDir || null,
        nodeVersion: null,
        startCommand: d.envSpecificDetails?.startCommand || null,
        runtime: d.runtime ?? d.env ?? null,
        region: d.region ?? null,
        serviceType: s.type,
        service: {
          healthCheckPath: d.healthCheckPath || null,
          disk: d.disk ? { name: d.disk.name, mountPath: d.disk.mountPath, sizeGB: d.disk.sizeGB } : null,
          repo: s.repo ?? null,
          branch: s.branch ?? null,
          plan: d.plan ?? null,
          numInstances: d.numInstances ?? null,
          url: d.url ?? null,
        },
        repository: s.repo ? { url: s.repo, branch: s.branch ?? null } : null,
      };
    },

    async envVars(): Promise<SourceEnvVar[]> {
      const byKey = new Map<string, SourceEnvVar>();
      if (config.envGroups) {
        // Linked groups first: on Render a service's own variable wins over a group's.
        for await (const page of cursorPages<{
          envGroup: { id: string; name: string; serviceLinks?: { id: string }[] };
        }>('/env-groups'))
          for (const { envGroup } of page) {
            if (!envGroup.serviceLinks?.some((l) => l.id === config.serviceId)) continue;
            const group = await call<{ envVars: { key: string; value: string }[] }>(
              `/env-groups/${encodeURIComponent(envGroup.id)}`,
              {},
              'env group',
              envGroup.id,
            );
            for (const v of group.envVars)
              byKey.set(v.key, {
                key: v.key,
                value: v.value,
                type: `env-group:${envGroup.name}`,
                sensitive: false,
              });
          }
      }
      for await (const page of cursorPages<{ envVar: { key: string; value: string } }>(
        `/services/${id}/env-vars`,
      ))
        for (const { envVar } of page)
          byKey.set(envVar.key, { key: envVar.key, value: envVar.value, type: 'service', sensitive: false });
      return [...byKey.values()];
    },

    async domains(): Promise<SourceDomain[]> {
      const out: SourceDomain[] = [];
      for await (const page of cursorPages<{
        customDomain: { name: string; verificationStatus: string; redirectForName?: string };
      }>(`/services/${id}/custom-domains`))
        for (const { customDomain: d } of page)
          out.push({
            name: d.name,
            verified: d.verificationStatus === 'verified',
            redirect: d.redirectForName || null,
          });
      return out;
    },
  };
}
