import {
  bearer,
  matchRoute,
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// Stand-in for the parts of the Render API (https://api-docs.render.com) the hosting source reads:
// GET /v1/services/{serviceId}, GET /v1/services/{serviceId}/env-vars (cursor pagination: a list of
// { envVar, cursor }, `limit` 1-100, default 20), GET /v1/env-groups (list of { envGroup, cursor }),
// GET /v1/env-groups/{envGroupId}, GET /v1/services/{serviceId}/custom-domains ({ customDomain, cursor }).
// Bearer API key; errors are { id, message } with 401 for a bad key and 404 for an unknown id.

export interface RenderServiceSeed {
  id: string;
  name: string;
  type: 'static_site' | 'web_service' | 'private_service' | 'background_worker' | 'cron_job';
  healthCheckPath?: string;
  disk?: { name: string; mountPath: string; sizeGB: number };
  /** The service's public URL (serviceDetails.url); default https://<name>.onrender.com. */
  url?: string;
  repo?: string;
  branch?: string;
  rootDir?: string;
  runtime?: string;
  region?: string;
  buildCommand?: string;
  startCommand?: string;
  publishPath?: string;
  env: { key: string; value: string }[];
  customDomains: { name: string; verified: boolean }[];
}

export interface RenderEnvGroupSeed {
  id: string;
  name: string;
  envVars: { key: string; value: string }[];
  serviceIds: string[];
}

export interface RenderStandInOptions {
  apiKeys: string[];
  services: RenderServiceSeed[];
  envGroups?: RenderEnvGroupSeed[];
}

const error = (status: number, id: string, message: string): StandInReply => ({
  status,
  body: { id, message },
});

function page<T>(
  req: RecordedRequest,
  items: T[],
  cursorOf: (item: T) => string,
): { cursor: string; item: T }[] | StandInReply {
  const limit = req.query.limit === undefined ? 20 : Number(req.query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return error(400, 'invalid-limit', 'limit must be between 1 and 100');
  let start = 0;
  if (req.query.cursor !== undefined) {
    const at = items.findIndex((i) => cursorOf(i) === req.query.cursor);
    if (at === -1) return error(400, 'invalid-cursor', 'invalid cursor');
    start = at + 1;
  }
  return items.slice(start, start + limit).map((item) => ({ cursor: cursorOf(item), item }));
}

const cursorFor = (s: string) => Buffer.from(s).toString('base64url');

export async function startRenderApi(options: RenderStandInOptions): Promise<RunningStandIn> {
  const groups = options.envGroups ?? [];
  return startStandIn((req) => {
    const key = bearer(req);
    if (key === undefined || !options.apiKeys.includes(key))
      return error(401, 'unauthorized', 'unauthorized');
    if (req.method !== 'GET') return error(405, 'method-not-allowed', 'method not allowed');

    let params = matchRoute('/v1/services/{serviceId}', req.path);
    if (params) {
      const s = options.services.find((x) => x.id === params?.serviceId);
      if (!s) return error(404, 'not-found', 'service not found');
      const details =
        s.type === 'static_site'
          ? {
              buildCommand: s.buildCommand ?? '',
              publishPath: s.publishPath ?? 'public',
              url: `https://${s.name}.onrender.com`,
            }
          : {
              env: s.runtime ?? 'node',
              runtime: s.runtime ?? 'node',
              region: s.region ?? 'oregon',
              plan: 'starter',
              numInstances: 1,
              healthCheckPath: s.healthCheckPath ?? '',
              ...(s.disk ? { disk: { id: `dsk-${s.id}`, ...s.disk } } : {}),
              envSpecificDetails: { buildCommand: s.buildCommand ?? '', startCommand: s.startCommand ?? '' },
              url: s.url ?? `https://${s.name}.onrender.com`,
            };
      return {
        status: 200,
        body: {
          id: s.id,
          name: s.name,
          type: s.type,
          ownerId: 'tea-stand-in',
          repo: s.repo ?? null,
          branch: s.branch ?? 'main',
          rootDir: s.rootDir ?? '',
          autoDeploy: 'yes',
          suspended: 'not_suspended',
          createdAt: '2024-01-01T00:00:00Z',
          updatedAt: '2024-01-01T00:00:00Z',
          serviceDetails: details,
        },
      };
    }

    params = matchRoute('/v1/services/{serviceId}/env-vars', req.path);
    if (params) {
      const s = options.services.find((x) => x.id === params?.serviceId);
      if (!s) return error(404, 'not-found', 'service not found');
      const result = page(req, s.env, (e) => cursorFor(e.key));
      if (!Array.isArray(result)) return result;
      return {
        status: 200,
        body: result.map(({ cursor, item }) => ({ cursor, envVar: { key: item.key, value: item.value } })),
      };
    }

    params = matchRoute('/v1/services/{serviceId}/custom-domains', req.path);
    if (params) {
      const s = options.services.find((x) => x.id === params?.serviceId);
      if (!s) return error(404, 'not-found', 'service not found');
      const result = page(req, s.customDomains, (d) => cursorFor(d.name));
      if (!Array.isArray(result)) return result;
      return {
        status: 200,
        body: result.map(({ cursor, item }) => ({
          cursor,
          customDomain: {
            id: `cdm-${cursorFor(item.name)}`,
            name: item.name,
            domainType: item.name.split('.').length > 2 ? 'subdomain' : 'apex',
            publicSuffix: item.name.split('.').slice(-1)[0],
            redirectForName: '',
            verificationStatus: item.verified ? 'verified' : 'unverified',
            createdAt: '2024-01-01T00:00:00Z',
            server: { id: s.id, name: s.name },
          },
        })),
      };
    }

    if (req.path === '/v1/env-groups') {
      const result = page(req, groups, (g) => cursorFor(g.id));
      if (!Array.isArray(result)) return result;
      return {
        status: 200,
        body: result.map(({ cursor, item }) => ({
          cursor,
          envGroup: {
            id: item.id,
            name: item.name,
            ownerId: 'tea-stand-in',
            createdAt: '2024-01-01T00:00:00Z',
            updatedAt: '2024-01-01T00:00:00Z',
            serviceLinks: item.serviceIds.map((id) => ({
              id,
              name: options.services.find((s) => s.id === id)?.name ?? id,
              type: 'web_service',
            })),
          },
        })),
      };
    }

    params = matchRoute('/v1/env-groups/{envGroupId}', req.path);
    if (params) {
      const g = groups.find((x) => x.id === params?.envGroupId);
      if (!g) return error(404, 'not-found', 'env group not found');
      return {
        status: 200,
        body: {
          id: g.id,
          name: g.name,
          ownerId: 'tea-stand-in',
          createdAt: '2024-01-01T00:00:00Z',
          updatedAt: '2024-01-01T00:00:00Z',
          envVars: g.envVars,
          secretFiles: [],
          serviceLinks: g.serviceIds.map((id) => ({ id, name: id, type: 'web_service' })),
        },
      };
    }

    return error(404, 'not-found', 'not found');
  });
}
