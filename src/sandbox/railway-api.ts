import {
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// Stand-in for the parts of Railway's public GraphQL API (POST https://backboard.railway.com/graphql/v2,
// https://docs.railway.com/integrations/api) the hosting source reads, one root field per operation:
//   project(id: String!) { id name services { edges { node { id name } } } environments { edges ... } }
//   serviceInstance(environmentId: String!, serviceId: String!) { serviceName buildCommand startCommand
//     rootDirectory builder region source { repo image } }
//   variables(projectId: String!, environmentId: String!, serviceId: String, unrendered: Boolean):
//     EnvironmentVariables (a JSON map); rendered unless unrendered: true, i.e. ${{shared.X}},
//     ${{Service.X}} and ${{X}} replaced, plus the Railway-provided RAILWAY_* variables
//   domains(projectId: String!, environmentId: String!, serviceId: String!) { serviceDomains { domain
//     suffix } customDomains { domain status { verified } } }
// Auth is Authorization: Bearer (account/workspace token) or Project-Access-Token (one project). As on
// Railway, a token without access gets HTTP 200 with errors: [{ message: "Not Authorized" }] and
// data: null. It answers whole objects, not only the selected fields (there is no GraphQL executor
// here); the client reads only what it selects. Every request is recorded.

export interface RailwayServiceSeed {
  id: string;
  name: string;
  buildCommand?: string;
  startCommand?: string;
  rootDirectory?: string;
  builder?: 'RAILPACK' | 'NIXPACKS' | 'DOCKERFILE' | 'HEROKU' | 'PAKETO';
  region?: string;
  repo?: string;
  /** As the user set them (templates unrendered); the same in every environment. */
  variables: Record<string, string>;
  /** The *.up.railway.app domain, if generated. */
  serviceDomain?: string;
  customDomains: { domain: string; verified: boolean }[];
}

export interface RailwayProjectSeed {
  id: string;
  name: string;
  environments: { id: string; name: string; shared?: Record<string, string> }[];
  services: RailwayServiceSeed[];
}

export interface RailwayTokenSeed {
  token: string;
  kind: 'account' | 'project';
  /** Project ids the token can read (a project token: exactly one). */
  projects: string[];
}

export interface RailwayStandInOptions {
  tokens: RailwayTokenSeed[];
  projects: RailwayProjectSeed[];
}

export interface RailwayStandIn extends RunningStandIn {
  /** Root fields asked for, in order, e.g. ["project", "serviceInstance", "variables"]. */
  operations: string[];
}

const gqlError = (message: string, path?: string): StandInReply => ({
  status: 200,
  body: { data: null, errors: [{ message, ...(path ? { path: [path] } : {}) }] },
});

const REQUIRED: Record<string, string[]> = {
  project: ['id'],
  serviceInstance: ['environmentId', 'serviceId'],
  variables: ['projectId', 'environmentId'],
  domains: ['projectId', 'environmentId', 'serviceId'],
};

/** The root field of the operation and the variable bound to each of its arguments. */
function rootField(query: string): { field: string; args: Record<string, string> } | undefined {
  const body = query.slice(query.indexOf('{') + 1);
  const match = /^\s*(?:\w+\s*:\s*)?(\w+)\s*(\(([^)]*)\))?/.exec(body);
  if (!match?.[1]) return undefined;
  const args: Record<string, string> = {};
  for (const pair of (match[3] ?? '').split(',')) {
    const [name, value] = pair.split(':').map((x) => x.trim());
    if (name && value) args[name] = value;
  }
  return { field: match[1], args };
}

export async function startRailwayApi(options: RailwayStandInOptions): Promise<RailwayStandIn> {
  const operations: string[] = [];

  const access = (req: RecordedRequest): RailwayTokenSeed | undefined => {
    const project = req.headers['project-access-token'];
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    return options.tokens.find((t) =>
      t.kind === 'project' ? t.token === project : bearer !== undefined && t.token === bearer,
    );
  };

  function render(
    project: RailwayProjectSeed,
    envId: string,
    service: RailwayServiceSeed,
    depth = 0,
  ): Record<string, string> {
    const env = project.environments.find((e) => e.id === envId);
    const provided: Record<string, string> = {
      RAILWAY_PROJECT_ID: project.id,
      RAILWAY_PROJECT_NAME: project.name,
      RAILWAY_ENVIRONMENT_ID: envId,
      RAILWAY_ENVIRONMENT_NAME: env?.name ?? '',
      RAILWAY_SERVICE_ID: service.id,
      RAILWAY_SERVICE_NAME: service.name,
      RAILWAY_PRIVATE_DOMAIN: `${service.name}.railway.internal`,
      ...(service.serviceDomain ? { RAILWAY_PUBLIC_DOMAIN: service.serviceDomain } : {}),
    };
    const lookup = (ns: string | undefined, key: string): string => {
      if (depth > 5) return '';
      if (ns === undefined) return own(key);
      if (ns === 'shared') return env?.shared?.[key] ?? '';
      const other = project.services.find((s) => s.name === ns);
      return other ? (render(project, envId, other, depth + 1)[key] ?? '') : '';
    };
    const seen = new Set<string>();
    const own = (key: string): string => {
      if (key in provided) return provided[key] ?? '';
      const raw = service.variables[key];
      if (raw === undefined || seen.has(key)) return '';
      seen.add(key);
      return substitute(raw);
    };
    const substitute = (value: string) =>
      value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, inner: string) => {
        const dot = inner.lastIndexOf('.');
        return dot === -1 ? lookup(undefined, inner) : lookup(inner.slice(0, dot), inner.slice(dot + 1));
      });
    const out: Record<string, string> = { ...provided };
    for (const key of Object.keys(service.variables)) {
      seen.clear();
      out[key] = own(key);
    }
    return out;
  }

  const running = await startStandIn((req) => {
    if (req.method !== 'POST' || req.path !== '/graphql/v2')
      return { status: 404, body: { errors: [{ message: 'Not Found' }] } };
    let payload: { query?: unknown; variables?: Record<string, unknown> };
    try {
      payload = JSON.parse(req.body) as typeof payload;
    } catch {
      return { status: 400, body: { errors: [{ message: 'Body is not valid JSON' }] } };
    }
    if (typeof payload.query !== 'string')
      return { status: 400, body: { errors: [{ message: 'Must provide query string.' }] } };
    const root = rootField(payload.query);
    if (!root) return { status: 400, body: { errors: [{ message: 'Syntax Error: expected a selection' }] } };
    operations.push(root.field);
    const vars = payload.variables ?? {};
    const arg = (name: string): unknown => {
      const bound = root.args[name];
      if (bound === undefined) return undefined;
      if (bound.startsWith('$')) return vars[bound.slice(1)];
      if (bound === 'true' || bound === 'false') return bound === 'true';
      return bound.replace(/^"|"$/g, '');
    };
    const required = REQUIRED[root.field];
    if (!required) return gqlError(`Cannot query field "${root.field}" on type "Query".`);
    for (const name of required)
      if (typeof arg(name) !== 'string')
        return {
          status: 400,
          body: {
            errors: [{ message: `Field "${root.field}" argument "${name}" of type "String!" is required.` }],
          },
        };

    const token = access(req);
    const projectId = String(root.field === 'project' ? arg('id') : (arg('projectId') ?? ''));
    const project = options.projects.find((p) => p.id === projectId);
    // serviceInstance has no projectId: the token must reach the project the service belongs to.
    const owner =
      root.field === 'serviceInstance'
        ? options.projects.find((p) => p.services.some((s) => s.id === arg('serviceId')))
        : project;
    if (!token || !owner || !token.projects.includes(owner.id)) {
      // Railway does not tell "no such project" from "no access" to an outsider.
      if (token && !owner && root.field === 'project') return gqlError('Project not found', root.field);
      return gqlError('Not Authorized', root.field);
    }
    const envId = String(arg('environmentId') ?? '');
    const env = owner.environments.find((e) => e.id === envId);
    const service = owner.services.find((s) => s.id === arg('serviceId'));

    switch (root.field) {
      case 'project':
        return {
          status: 200,
          body: {
            data: {
              project: {
                id: owner.id,
                name: owner.name,
                services: { edges: owner.services.map((s) => ({ node: { id: s.id, name: s.name } })) },
                environments: {
                  edges: owner.environments.map((e) => ({ node: { id: e.id, name: e.name } })),
                },
              },
            },
          },
        };
      case 'serviceInstance':
        if (!env || !service) return gqlError('ServiceInstance not found', root.field);
        return {
          status: 200,
          body: {
            data: {
              serviceInstance: {
                id: `${service.id}-${env.id}`,
                serviceId: service.id,
                environmentId: env.id,
                serviceName: service.name,
                buildCommand: service.buildCommand ?? null,
                startCommand: service.startCommand ?? null,
                rootDirectory: service.rootDirectory ?? null,
                builder: service.builder ?? 'RAILPACK',
                region: service.region ?? 'us-west2',
                source: { repo: service.repo ?? null, image: null },
              },
            },
          },
        };
      case 'variables': {
        if (!env) return gqlError('Environment not found', root.field);
        if (arg('serviceId') !== undefined && !service) return gqlError('Service not found', root.field);
        const unrendered = arg('unrendered') === true;
        const variables = !service
          ? { ...(env.shared ?? {}) }
          : unrendered
            ? { ...service.variables }
            : render(owner, env.id, service);
        return { status: 200, body: { data: { variables } } };
      }
      default: {
        if (!env || !service) return gqlError('Service not found', root.field);
        return {
          status: 200,
          body: {
            data: {
              domains: {
                serviceDomains: service.serviceDomain
                  ? [
                      {
                        id: `sd-${service.id}`,
                        domain: service.serviceDomain,
                        suffix: 'up.railway.app',
                        serviceId: service.id,
                        environmentId: env.id,
                      },
                    ]
                  : [],
                customDomains: service.customDomains.map((d, i) => ({
                  id: `cd-${service.id}-${i}`,
                  domain: d.domain,
                  serviceId: service.id,
                  environmentId: env.id,
                  status: { verified: d.verified, dnsRecords: [] },
                })),
              },
            },
          },
        };
      }
    }
  });
  return Object.assign(running, { operations });
}
