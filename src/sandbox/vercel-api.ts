import {
  bearer,
  matchRoute,
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';

// Stand-in for the parts of the Vercel REST API the hosting source reads, written from
// https://vercel.com/docs/rest-api: GET /v9/projects/{idOrName}, GET /v10/projects/{idOrName}/env
// (decrypt=true), GET /v1/projects/{idOrName}/env/{id}, GET /v9/projects/{idOrName}/domains; `teamId`
// query; Bearer token; errors as { error: { code, message } } with 403 for a bad token and 404 for an
// unknown project or variable.
//
// The env list answers { envs, pagination: { count, next, prev } } (one of the documented response
// shapes), newest first, `envPageSize` at a time. `next` is the createdAt timestamp to request the
// next page with, as the Pagination object documents ("Timestamp that must be used to request the
// next page"); the stand-in takes it as `until` (items created before it), the parameter Vercel's
// list endpoints document for that timestamp. The env route itself documents no paging parameter,
// so `envIgnoresUntil` plays a server that does not honour it: every answer is the first page with the
// same `next`. `decrypt` is deprecated on that route; `decryptIgnored` plays its removal (ciphertext,
// decrypted: false), leaving the per-variable read as the documented way to the value.

export type VercelEnvType = 'plain' | 'encrypted' | 'sensitive' | 'secret' | 'system';
export type VercelTarget = 'production' | 'preview' | 'development';

export interface VercelEnvSeed {
  key: string;
  value: string;
  type: VercelEnvType;
  target: VercelTarget[];
  gitBranch?: string;
}

export interface VercelProjectSeed {
  id: string;
  name: string;
  teamId?: string;
  framework: string | null;
  buildCommand: string | null;
  outputDirectory: string | null;
  installCommand: string | null;
  rootDirectory: string | null;
  nodeVersion: string;
  /** The connected Git repository, as GET /v9/projects/{id} reports it under `link`. */
  link?: { type: 'github' | 'gitlab' | 'bitbucket'; org: string; repo: string; productionBranch: string };
  env: VercelEnvSeed[];
  domains: { name: string; verified: boolean; redirect?: string | null; gitBranch?: string | null }[];
}

export interface VercelStandInOptions {
  tokens: string[];
  projects: VercelProjectSeed[];
  /** Variables per page of GET /v10/projects/{id}/env (default 20, the documented example count). */
  envPageSize?: number;
  /** Ignore `until` on the env list: the same first page and the same `next`, every time. */
  envIgnoresUntil?: boolean;
  /** Ignore the deprecated `decrypt=true`: encrypted values come back as ciphertext. */
  decryptIgnored?: boolean;
}

export interface VercelStandIn extends RunningStandIn {
  projects: VercelProjectSeed[];
}

const error = (
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): StandInReply => ({
  status,
  body: { error: { code, message, ...extra } },
});

// What the real API returns for an encrypted value when decrypt is off: an opaque ciphertext.
const cipher = (value: string) => Buffer.from(`enc:${value}`).toString('base64');

const envId = (i: number) => `env_${i}`;

// Distinct creation times, one second apart in seed order: pages cut by `until` never split a tie.
const envBase = (e: VercelEnvSeed, i: number) => ({
  id: envId(i),
  key: e.key,
  type: e.type,
  target: e.target,
  gitBranch: e.gitBranch,
  configurationId: null,
  createdAt: 1_700_000_000_000 + i * 1000,
  updatedAt: 1_700_000_000_000 + i * 1000,
});

export async function startVercelApi(options: VercelStandInOptions): Promise<VercelStandIn> {
  const projects = options.projects;
  const pageSize = Math.max(1, options.envPageSize ?? 20);

  const find = (req: RecordedRequest, idOrName: string) =>
    projects.find(
      (p) =>
        (p.id === idOrName || p.name === idOrName) &&
        (p.teamId ?? undefined) === (req.query.teamId ?? undefined),
    );

  const running = await startStandIn((req) => {
    const token = bearer(req);
    if (token === undefined)
      return error(403, 'forbidden', 'Missing Authorization header.', { missingToken: true });
    if (!options.tokens.includes(token))
      return error(403, 'forbidden', 'Not authorized', { invalidToken: true });
    if (req.method !== 'GET') return error(405, 'method_not_allowed', 'Method not allowed');

    let params = matchRoute('/v9/projects/{idOrName}', req.path);
    if (params) {
      const p = find(req, params.idOrName as string);
      if (!p) return error(404, 'not_found', 'Project not found');
      return {
        status: 200,
        body: {
          id: p.id,
          name: p.name,
          accountId: p.teamId ?? 'user_stand_in',
          framework: p.framework,
          buildCommand: p.buildCommand,
          devCommand: null,
          installCommand: p.installCommand,
          outputDirectory: p.outputDirectory,
          rootDirectory: p.rootDirectory,
          nodeVersion: p.nodeVersion,
          ...(p.link ? { link: p.link } : {}),
          createdAt: 1_700_000_000_000,
          updatedAt: 1_700_000_000_000,
        },
      };
    }

    params = matchRoute('/v1/projects/{idOrName}/env/{id}', req.path);
    if (params) {
      const p = find(req, params.idOrName as string);
      if (!p) return error(404, 'not_found', 'Project not found');
      const i = p.env.findIndex((_, n) => envId(n) === params?.id);
      const e = p.env[i];
      if (!e) return error(404, 'not_found', 'Environment Variable not found');
      // The documented read of one decrypted value; sensitive values stay write-only even here.
      const base = envBase(e, i);
      if (e.type === 'sensitive') return { status: 200, body: { ...base, decrypted: false } };
      if (e.type === 'secret') return { status: 200, body: { ...base, value: `sec_${i}`, decrypted: false } };
      return { status: 200, body: { ...base, value: e.value, decrypted: true } };
    }

    params = matchRoute('/v10/projects/{idOrName}/env', req.path);
    if (params) {
      const p = find(req, params.idOrName as string);
      if (!p) return error(404, 'not_found', 'Project not found');
      const decrypt = req.query.decrypt === 'true' && !options.decryptIgnored;
      const all = p.env
        .map((e, i) => {
          const base = envBase(e, i);
          // Sensitive values are write-only: the API never returns them, decrypt or not.
          if (e.type === 'sensitive') return { ...base, value: '', decrypted: false };
          // Legacy secrets return the secret's id, not its value.
          if (e.type === 'secret') return { ...base, value: `sec_${i}`, decrypted: false };
          if (e.type === 'plain' || e.type === 'system') return { ...base, value: e.value };
          return decrypt
            ? { ...base, value: e.value, decrypted: true }
            : { ...base, value: cipher(e.value), decrypted: false };
        })
        .sort((a, b) => b.createdAt - a.createdAt);
      const until =
        options.envIgnoresUntil || req.query.until === undefined ? Infinity : Number(req.query.until);
      const rest = all.filter((e) => e.createdAt < until);
      const envs = rest.slice(0, pageSize);
      const more = rest.length > envs.length;
      return {
        status: 200,
        body: {
          envs,
          pagination: {
            count: envs.length,
            next: more ? (envs.at(-1)?.createdAt ?? null) : null,
            prev: envs[0]?.createdAt ?? null,
          },
        },
      };
    }

    params = matchRoute('/v9/projects/{idOrName}/domains', req.path);
    if (params) {
      const p = find(req, params.idOrName as string);
      if (!p) return error(404, 'not_found', 'Project not found');
      const domains = p.domains.map((d) => ({
        name: d.name,
        apexName: d.name.split('.').slice(-2).join('.'),
        projectId: p.id,
        verified: d.verified,
        redirect: d.redirect ?? null,
        redirectStatusCode: d.redirect ? 308 : null,
        gitBranch: d.gitBranch ?? null,
        createdAt: 1_700_000_000_000,
        updatedAt: 1_700_000_000_000,
      }));
      return {
        status: 200,
        body: { domains, pagination: { count: domains.length, next: null, prev: null } },
      };
    }

    return error(404, 'not_found', 'The requested path was not found');
  });

  return { ...running, projects };
}
