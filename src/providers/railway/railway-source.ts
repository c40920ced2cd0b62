import type { Config } from '../../config/schema.js';
import { EngifyError } from '../../core/errors.js';
import type {
  HostingSettings,
  HostingSource,
  SourceDomain,
  SourceEnvVar,
} from '../../core/hosting-source.js';
import { messages } from '../../core/messages.js';
import { RailwayGraphqlError, type RailwayRequest, railwayGraphql } from './railway-graphql.js';
import { parseReferences } from './variable-references.js';

// A Railway service as a hosting source, through the public GraphQL API
// (https://docs.railway.com/integrations/api): project(id) for the service and environment ids behind
// the configured names, serviceInstance(environmentId, serviceId) for the build/start commands,
// variables(projectId, environmentId, serviceId, unrendered) twice (the templates, to find references,
// and the values Railway renders), and domains(projectId, environmentId, serviceId).

export type RailwayConfig = NonNullable<Config['source']['railway']>;

const m = messages.railway;
const TOKEN_FIELD = 'source.railway.token';

const PROJECT = `query RailwayProject($id: String!) {
  project(id: $id) {
    id
    name
    services { edges { node { id name } } }
    environments { edges { node { id name } } }
  }
}`;

const SERVICE_INSTANCE = `query RailwayServiceInstance($environmentId: String!, $serviceId: String!) {
  serviceInstance(environmentId: $environmentId, serviceId: $serviceId) {
    serviceName
    buildCommand
    startCommand
    rootDirectory
    builder
    region
    source { repo image }
  }
}`;

const VARIABLES = `query RailwayVariables($projectId: String!, $environmentId: String!, $serviceId: String!, $unrendered: Boolean) {
  variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, unrendered: $unrendered)
}`;

const DOMAINS = `query RailwayDomains($projectId: String!, $environmentId: String!, $serviceId: String!) {
  domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    serviceDomains { domain }
    customDomains { domain status { verified } }
  }
}`;

interface Connection<T> {
  edges: { node: T }[];
}
interface ProjectData {
  project: {
    id: string;
    name: string;
    services: Connection<{ id: string; name: string }>;
    environments: Connection<{ id: string; name: string }>;
  } | null;
}
interface ServiceInstanceData {
  serviceInstance: {
    serviceName: string;
    buildCommand: string | null;
    startCommand: string | null;
    rootDirectory: string | null;
    builder: string | null;
    region: string | null;
  } | null;
}

interface Ids {
  projectId: string;
  environmentId: string;
  serviceId: string;
  serviceName: string;
}

export function createRailwaySource(
  config: RailwayConfig,
  options: {
    signal?: AbortSignal;
    timeoutMs?: number;
    attempts?: number;
    /** Keys whose value the target side decides (dropped or set there): a reference in them is fine. */
    mappedKeys?: readonly string[];
  } = {},
): HostingSource {
  const mapped = new Set(options.mappedKeys ?? []);
  const request: RailwayRequest = railwayGraphql({
    url: config.apiUrl,
    token: config.token,
    tokenKind: config.tokenKind,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    attempts: options.attempts,
  });

  const call = async <T>(op: string, query: string, variables: Record<string, unknown>): Promise<T> => {
    try {
      return await request<T>(op, query, variables);
    } catch (error) {
      if (!(error instanceof RailwayGraphqlError)) throw error;
      const f = error.failure;
      if (f.kind === 'auth')
        throw new EngifyError({
          code: 'RAILWAY_AUTH',
          kind: 'config',
          message: m.noAccess(TOKEN_FIELD, config.projectId, f.message),
          hint: m.noAccessHint(TOKEN_FIELD, 'source.railway.tokenKind'),
        });
      if (f.kind === 'not-found' && op === 'RailwayProject')
        throw new EngifyError({
          code: 'RAILWAY_NOT_FOUND',
          kind: 'config',
          message: m.projectNotFound(config.projectId),
          hint: m.projectNotFoundHint,
          detail: f.message,
        });
      throw new EngifyError({
        code: 'RAILWAY_GRAPHQL',
        kind: f.kind === 'not-found' ? 'config' : 'system',
        message: m.graphqlError(error.url, f.message),
        hint: m.graphqlErrorHint,
      });
    }
  };

  let resolved: Promise<Ids> | undefined;
  const ids = (): Promise<Ids> => {
    resolved ??= (async () => {
      const { project } = await call<ProjectData>('RailwayProject', PROJECT, { id: config.projectId });
      if (!project)
        throw new EngifyError({
          code: 'RAILWAY_NOT_FOUND',
          kind: 'config',
          message: m.projectNotFound(config.projectId),
          hint: m.projectNotFoundHint,
        });
      const envs = project.environments.edges.map((e) => e.node);
      const services = project.services.edges.map((e) => e.node);
      const env = envs.find((e) => e.id === config.environment || e.name === config.environment);
      if (!env)
        throw new EngifyError({
          code: 'RAILWAY_ENVIRONMENT_NOT_FOUND',
          kind: 'config',
          message: m.environmentNotFound(
            config.environment,
            config.projectId,
            envs.map((e) => e.name),
          ),
          hint: m.environmentNotFoundHint,
        });
      const service = services.find((s) => s.id === config.service || s.name === config.service);
      if (!service)
        throw new EngifyError({
          code: 'RAILWAY_SERVICE_NOT_FOUND',
          kind: 'config',
          message: m.serviceNotFound(
            config.service,
            config.projectId,
            services.map((s) => s.name),
          ),
          hint: m.serviceNotFoundHint,
        });
      return {
        projectId: project.id,
        environmentId: env.id,
        serviceId: service.id,
        serviceName: service.name,
      };
    })();
    // A failed lookup is not cached: the next call asks again.
    resolved.catch(() => {
      resolved = undefined;
    });
    return resolved;
  };

  return {
    async settings(): Promise<HostingSettings> {
      const id = await ids();
      const { serviceInstance: s } = await call<ServiceInstanceData>(
        'RailwayServiceInstance',
        SERVICE_INSTANCE,
        { environmentId: id.environmentId, serviceId: id.serviceId },
      );
      return {
        provider: 'railway',
        name: s?.serviceName ?? id.serviceName,
        framework: null,
        buildCommand: s?.buildCommand || null,
        outputDirectory: null,
        installCommand: null,
        rootDirectory: s?.rootDirectory || null,
        nodeVersion: null,
        startCommand: s?.startCommand || null,
        runtime: s?.builder?.toLowerCase() ?? null,
        region: s?.region ?? null,
        // Every Railway service is a long-running process (no static-site kind): a backend.
        serviceType: 'web_service',
      };
    },

    async envVars(): Promise<SourceEnvVar[]> {
      const id = await ids();
      const args = { projectId: id.projectId, environmentId: id.environmentId, serviceId: id.serviceId };
      const [raw, rendered] = await Promise.all([
        call<{ variables: Record<string, string> }>('RailwayVariables', VARIABLES, {
          ...args,
          unrendered: true,
        }),
        call<{ variables: Record<string, string> }>('RailwayVariables', VARIABLES, {
          ...args,
          unrendered: false,
        }),
      ]);
      // Keys come from the unrendered list: Railway-provided variables (RAILWAY_PUBLIC_DOMAIN, ...)
      // describe Railway itself and do not move; only what the user set does.
      const crossRefs: { key: string; service: string; variable: string }[] = [];
      const out: SourceEnvVar[] = [];
      for (const [key, template] of Object.entries(raw.variables)) {
        const refs = parseReferences(template).filter(
          (r) => r.namespace !== undefined && r.namespace !== 'shared' && r.namespace !== id.serviceName,
        );
        if (!mapped.has(key))
          for (const r of refs) crossRefs.push({ key, service: r.namespace ?? '', variable: r.variable });
        out.push({
          key,
          value: rendered.variables[key],
          type: refs.length > 0 ? `reference:${refs.map((r) => r.namespace).join(',')}` : 'service',
          // A value rendered from another service (a database URL) is treated as a secret.
          sensitive: refs.length > 0,
        });
      }
      if (crossRefs.length > 0 && config.serviceReferences === 'refuse')
        throw new EngifyError({
          code: 'RAILWAY_SERVICE_REFERENCE',
          kind: 'config',
          message: m.crossServiceReference(crossRefs, id.serviceName),
          hint: m.crossServiceReferenceHint(crossRefs[0]?.key ?? 'KEY'),
        });
      return out;
    },

    async domains(): Promise<SourceDomain[]> {
      const id = await ids();
      const { domains } = await call<{
        domains: {
          serviceDomains: { domain: string }[];
          customDomains: { domain: string; status: { verified: boolean } }[];
        };
      }>('RailwayDomains', DOMAINS, {
        projectId: id.projectId,
        environmentId: id.environmentId,
        serviceId: id.serviceId,
      });
      // Railway's own *.up.railway.app domains cannot move; custom domains can.
      return domains.customDomains.map((d) => ({
        name: d.domain,
        verified: d.status.verified,
        redirect: null,
      }));
    },
  };
}
