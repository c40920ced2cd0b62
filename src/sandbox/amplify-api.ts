import { randomBytes } from 'node:crypto';
import { type JobRecord, startBranchSites } from './amplify-jobs.js';
import { matchRoute, type RunningStandIn, type StandInReply, startStandIn } from './http-stand-in.js';

// Stand-in for the AWS Amplify REST-JSON API as @aws-sdk/client-amplify calls it (routes from the
// service model: POST /apps, GET /apps, GET|POST|DELETE /apps/{appId}, POST /apps/{appId}/branches,
// GET|POST|DELETE /apps/{appId}/branches/{branchName}, POST /apps/{appId}/domains,
// GET|DELETE /apps/{appId}/domains/{domainName}; deployments and jobs: POST
// /apps/{appId}/branches/{branchName}/deployments (CreateDeployment), POST .../deployments/start
// (StartDeployment), POST .../jobs (StartJob), GET .../jobs/{jobId} (GetJob)). Deployed sites are
// served for real (amplify-jobs.ts); the zip upload URL and the job log URLs are presigned on AWS, so
// they take no signature here either. Errors carry the x-amzn-ErrorType header and a
// { message } body with the modelled status: BadRequestException 400, NotFoundException 404,
// LimitExceededException 429, InternalFailureException 500. Documented limits enforced: env var names
// up to 255 characters and not starting with "AWS", values up to 5500 characters; app quota per region.

export const AMPLIFY_ENV_NAME_MAX = 255;
export const AMPLIFY_ENV_VALUE_MAX = 5500;

type Stored = Record<string, unknown>;

interface AppRecord {
  app: Stored;
  branches: Map<string, Stored>;
  domains: Map<string, Stored>;
}

const JOB_ROUTES = {
  CreateDeployment: '/apps/{appId}/branches/{branchName}/deployments',
  StartDeployment: '/apps/{appId}/branches/{branchName}/deployments/start',
  StartJob: '/apps/{appId}/branches/{branchName}/jobs',
  GetJob: '/apps/{appId}/branches/{branchName}/jobs/{jobId}',
} as const;

export interface AmplifyStandInOptions {
  region?: string;
  /** Apps per region before CreateApp answers LimitExceededException (AWS default quota: 25). */
  maxApps?: number;
  /** Domain associations per app before CreateDomainAssociation answers LimitExceededException. */
  maxDomainsPerApp?: number;
  /** How long a started job stays RUNNING before it ends (default 100 ms). */
  jobDelayMs?: number;
  /** Repository URL -> local folder standing in for its clone (RELEASE jobs build there). */
  repositories?: Record<string, string>;
}

export interface AmplifyStandIn extends RunningStandIn {
  apps: Map<string, AppRecord>;
  /** Where branch sites are served: send the branch host (<branch>.<defaultDomain>) as Host. */
  hostingUrl: string;
  /** Every job, by "<appId>/<branchName>/<jobId>". */
  jobs: Map<string, JobRecord>;
  servedDir(appId: string, branchName: string): string | undefined;
  /** Moves a domain association along its lifecycle (what DNS validation does on AWS). */
  setDomainStatus(appId: string, domainName: string, status: string): void;
  /** The next request to `operation` (e.g. "CreateApp") fails with this error. */
  failNext(operation: string, name: string, status: number, times?: number): void;
}

const fail = (status: number, name: string, message: string): StandInReply => ({
  status,
  headers: { 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazonaws.amplify/` },
  body: { message },
});

const now = () => Math.floor(Date.now() / 1000);

function envProblem(env: unknown): string | undefined {
  if (env === undefined) return undefined;
  if (typeof env !== 'object' || env === null) return 'environmentVariables must be a map';
  for (const [k, v] of Object.entries(env)) {
    if (k.length === 0 || k.length > AMPLIFY_ENV_NAME_MAX)
      return `Environment variable name ${k.slice(0, 40)} must be 1-255 characters`;
    if (/^AWS/i.test(k)) return `Environment variable name ${k} can not start with AWS, it is reserved`;
    if (typeof v !== 'string' || v.length > AMPLIFY_ENV_VALUE_MAX)
      return `Value of environment variable ${k} must be at most ${AMPLIFY_ENV_VALUE_MAX} characters`;
  }
  return undefined;
}

export async function startAmplifyApi(options: AmplifyStandInOptions = {}): Promise<AmplifyStandIn> {
  const region = options.region ?? 'us-east-1';
  const apps = new Map<string, AppRecord>();
  const injected: { operation: string; name: string; status: number; times: number }[] = [];
  const jobs = new Map<string, JobRecord>();
  const sites = await startBranchSites({ delayMs: options.jobDelayMs ?? 100, apps: () => apps.values() });
  let base = '';

  const operationOf = (method: string, path: string): string => {
    if (path === '/apps') return method === 'POST' ? 'CreateApp' : 'ListApps';
    if (matchRoute('/apps/{appId}', path))
      return { GET: 'GetApp', POST: 'UpdateApp', DELETE: 'DeleteApp' }[method] ?? 'Unknown';
    if (matchRoute('/apps/{appId}/branches', path))
      return method === 'POST' ? 'CreateBranch' : 'ListBranches';
    if (matchRoute('/apps/{appId}/branches/{branchName}', path))
      return { GET: 'GetBranch', POST: 'UpdateBranch', DELETE: 'DeleteBranch' }[method] ?? 'Unknown';
    if (matchRoute('/apps/{appId}/domains', path))
      return method === 'POST' ? 'CreateDomainAssociation' : 'ListDomainAssociations';
    if (matchRoute('/apps/{appId}/domains/{domainName}', path))
      return (
        { GET: 'GetDomainAssociation', DELETE: 'DeleteDomainAssociation', POST: 'UpdateDomainAssociation' }[
          method
        ] ?? 'Unknown'
      );
    if (method === 'POST' && matchRoute(JOB_ROUTES.CreateDeployment, path)) return 'CreateDeployment';
    if (method === 'POST' && matchRoute(JOB_ROUTES.StartDeployment, path)) return 'StartDeployment';
    if (method === 'POST' && matchRoute(JOB_ROUTES.StartJob, path)) return 'StartJob';
    if (method === 'GET' && matchRoute(JOB_ROUTES.GetJob, path)) return 'GetJob';
    return 'Unknown';
  };

  const running = await startStandIn((req) => {
    const upload = matchRoute('/_upload/{appId}/{branchName}/{jobId}', req.path);
    if (upload && req.method === 'PUT') {
      const key = `${upload.appId}/${upload.branchName}/${upload.jobId}`;
      if (!jobs.has(key))
        return { status: 403, raw: 'AccessDenied', headers: { 'content-type': 'text/plain' } };
      sites.upload(key, req.bytes);
      return { status: 200, raw: '' };
    }
    const log = matchRoute('/_logs/{appId}/{branchName}/{jobId}/{step}', req.path);
    if (log) {
      const text = sites.log(`${log.appId}/${log.branchName}/${log.jobId}/${log.step}`);
      return text === undefined
        ? { status: 404, raw: 'NoSuchKey', headers: { 'content-type': 'text/plain' } }
        : { status: 200, raw: text, headers: { 'content-type': 'text/plain' } };
    }
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return fail(401, 'UnauthorizedException', 'Missing SigV4 signature');
    const operation = operationOf(req.method, req.path);
    const inject = injected.find((i) => i.operation === operation && i.times > 0);
    if (inject) {
      inject.times--;
      return fail(inject.status, inject.name, `Injected ${inject.name}`);
    }
    const body = (req.body ? JSON.parse(req.body) : {}) as Stored;

    if (operation === 'CreateApp') {
      const name = body.name;
      if (typeof name !== 'string' || name.length < 1 || name.length > 255)
        return fail(400, 'BadRequestException', 'name is invalid');
      const problem = envProblem(body.environmentVariables);
      if (problem) return fail(400, 'BadRequestException', problem);
      if (options.maxApps !== undefined && apps.size >= options.maxApps)
        return fail(
          429,
          'LimitExceededException',
          `Max number of apps (${options.maxApps}) reached for this account`,
        );
      const appId = `d${randomBytes(6).toString('hex')}`;
      const app: Stored = {
        appId,
        appArn: `arn:aws:amplify:${region}:123456789012:apps/${appId}`,
        name,
        description: body.description ?? '',
        repository: body.repository ?? '',
        platform: body.platform ?? 'WEB',
        createTime: now(),
        updateTime: now(),
        environmentVariables: body.environmentVariables ?? {},
        defaultDomain: `${appId}.amplifyapp.com`,
        enableBranchAutoBuild: body.enableBranchAutoBuild ?? false,
        enableBasicAuth: body.enableBasicAuth ?? false,
        enableBranchAutoDeletion: false,
        customRules: body.customRules ?? [],
        buildSpec: body.buildSpec,
        tags: body.tags ?? {},
      };
      apps.set(appId, { app, branches: new Map(), domains: new Map() });
      return { status: 200, body: { app } };
    }

    if (operation === 'ListApps') {
      const max = req.query.maxResults ? Number(req.query.maxResults) : 100;
      const all = [...apps.values()].map((a) => a.app);
      const start = req.query.nextToken ? Number(req.query.nextToken) : 0;
      const slice = all.slice(start, start + max);
      const next = start + max < all.length ? String(start + max) : undefined;
      return { status: 200, body: { apps: slice, ...(next ? { nextToken: next } : {}) } };
    }

    const pathAppId = decodeURIComponent(req.path.split('/')[2] ?? '');
    const record = apps.get(pathAppId);
    if (!record) return fail(404, 'NotFoundException', `App ${pathAppId} not found.`);
    const appId = record.app.appId as string;

    if (operation === 'GetApp') return { status: 200, body: { app: record.app } };
    if (operation === 'DeleteApp') {
      apps.delete(appId);
      return { status: 200, body: { app: record.app } };
    }
    if (operation === 'UpdateApp') {
      const problem = envProblem(body.environmentVariables);
      if (problem) return fail(400, 'BadRequestException', problem);
      if (body.repository !== undefined) {
        // UpdateApp: "You must specify either oauthToken or accessToken"; the token is not stored.
        if (!body.accessToken && !body.oauthToken)
          return fail(400, 'BadRequestException', 'accessToken or oauthToken is required with repository');
        if (options.repositories && !(String(body.repository) in options.repositories))
          return fail(
            400,
            'BadRequestException',
            `Repository ${String(body.repository)} is not accessible with that token.`,
          );
      }
      for (const [k, v] of Object.entries(body))
        if (k !== 'appId' && k !== 'accessToken' && k !== 'oauthToken') record.app[k] = v;
      record.app.updateTime = now();
      return { status: 200, body: { app: record.app } };
    }

    if (operation === 'CreateBranch') {
      const branchName = body.branchName;
      if (typeof branchName !== 'string' || branchName.length === 0)
        return fail(400, 'BadRequestException', 'branchName is required');
      if (record.branches.has(branchName))
        return fail(400, 'BadRequestException', `Branch ${branchName} already exists.`);
      const problem = envProblem(body.environmentVariables);
      if (problem) return fail(400, 'BadRequestException', problem);
      const branch: Stored = {
        branchArn: `${record.app.appArn as string}/branches/${branchName}`,
        branchName,
        description: body.description ?? '',
        stage: body.stage ?? 'NONE',
        displayName: branchName,
        enableNotification: false,
        createTime: now(),
        updateTime: now(),
        environmentVariables: body.environmentVariables ?? {},
        enableAutoBuild: body.enableAutoBuild ?? true,
        customDomains: [],
        framework: body.framework ?? '',
        activeJobId: '0',
        totalNumberOfJobs: '0',
        enableBasicAuth: false,
        ttl: '5',
        enablePullRequestPreview: false,
      };
      record.branches.set(branchName, branch);
      return { status: 200, body: { branch } };
    }

    const jobReply = jobRoute(operation, req.path, record, body);
    if (jobReply) return jobReply;

    const branchParams = matchRoute('/apps/{appId}/branches/{branchName}', req.path);
    if (branchParams) {
      const branch = record.branches.get(branchParams.branchName as string);
      if (!branch) return fail(404, 'NotFoundException', `Branch ${branchParams.branchName} not found.`);
      if (operation === 'GetBranch') return { status: 200, body: { branch } };
      if (operation === 'DeleteBranch') {
        record.branches.delete(branchParams.branchName as string);
        return { status: 200, body: { branch } };
      }
      if (operation === 'UpdateBranch') {
        const problem = envProblem(body.environmentVariables);
        if (problem) return fail(400, 'BadRequestException', problem);
        for (const [k, v] of Object.entries(body)) if (k !== 'appId' && k !== 'branchName') branch[k] = v;
        branch.updateTime = now();
        return { status: 200, body: { branch } };
      }
    }

    if (operation === 'CreateDomainAssociation') {
      const domainName = body.domainName;
      if (typeof domainName !== 'string' || !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(domainName))
        return fail(400, 'BadRequestException', 'domainName is invalid');
      if (record.domains.has(domainName))
        return fail(400, 'BadRequestException', `Domain ${domainName} is already associated.`);
      if (options.maxDomainsPerApp !== undefined && record.domains.size >= options.maxDomainsPerApp)
        return fail(429, 'LimitExceededException', 'Max number of domain associations reached for this app');
      const settings = (body.subDomainSettings ?? []) as { prefix: string; branchName: string }[];
      for (const s of settings)
        if (!record.branches.has(s.branchName))
          return fail(400, 'BadRequestException', `Branch ${s.branchName} does not exist.`);
      const cloudfront = `d${randomBytes(6).toString('hex')}.cloudfront.net`;
      const association: Stored = {
        domainAssociationArn: `${record.app.appArn as string}/domains/${domainName}`,
        domainName,
        enableAutoSubDomain: body.enableAutoSubDomain ?? false,
        domainStatus: 'CREATING',
        statusReason: '',
        certificateVerificationDNSRecord: `_${randomBytes(8).toString('hex')}.${domainName}. CNAME _${randomBytes(8).toString('hex')}.acm-validations.aws.`,
        subDomains: settings.map((s) => ({
          subDomainSetting: s,
          verified: false,
          dnsRecord: `${s.prefix} CNAME ${cloudfront}`,
        })),
        certificate: { type: 'AMPLIFY_MANAGED' },
      };
      record.domains.set(domainName, association);
      return { status: 200, body: { domainAssociation: association } };
    }

    const domainParams = matchRoute('/apps/{appId}/domains/{domainName}', req.path);
    if (domainParams) {
      const association = record.domains.get(domainParams.domainName as string);
      if (!association) return fail(404, 'NotFoundException', `Domain ${domainParams.domainName} not found.`);
      if (operation === 'GetDomainAssociation') {
        // On AWS the association leaves CREATING within seconds and waits for DNS.
        if (association.domainStatus === 'CREATING') association.domainStatus = 'PENDING_VERIFICATION';
        return { status: 200, body: { domainAssociation: association } };
      }
      if (operation === 'DeleteDomainAssociation') {
        record.domains.delete(domainParams.domainName as string);
        return { status: 200, body: { domainAssociation: association } };
      }
    }

    return fail(404, 'NotFoundException', `No route for ${req.method} ${req.path}`);
  });

  function jobRoute(
    operation: string,
    path: string,
    record: AppRecord,
    body: Stored,
  ): StandInReply | undefined {
    const route = JOB_ROUTES[operation as keyof typeof JOB_ROUTES];
    if (!route) return undefined;
    const params = matchRoute(route, path) as Record<string, string>;
    const branch = record.branches.get(params.branchName as string);
    if (!branch) return fail(404, 'NotFoundException', `Branch ${params.branchName} not found.`);
    const appId = record.app.appId as string;
    const prefix = `${appId}/${params.branchName}`;
    const newJob = (jobType: string, stepName: string): [string, JobRecord] => {
      const jobId = String(Number(branch.totalNumberOfJobs) + 1);
      branch.totalNumberOfJobs = jobId;
      const job: JobRecord = {
        summary: {
          jobArn: `${branch.branchArn as string}/jobs/${jobId.padStart(10, '0')}`,
          jobId,
          commitId: jobType === 'MANUAL' ? 'MANUAL' : 'HEAD',
          commitMessage: jobType === 'MANUAL' ? 'Manual deployment' : 'Release',
          commitTime: now(),
          startTime: now(),
          status: 'PENDING',
          jobType,
        },
        steps: [{ stepName, startTime: now(), status: 'PENDING', endTime: now() }],
        log: `${stepName} started\n`,
      };
      jobs.set(`${prefix}/${jobId}`, job);
      return [jobId, job];
    };
    const logUrl = (jobId: string) => (step: string) => `${base}/_logs/${prefix}/${jobId}/${step}`;

    if (operation === 'CreateDeployment') {
      if (record.app.repository)
        return fail(
          400,
          'BadRequestException',
          'Manual deployments are not allowed for an app connected to a repository.',
        );
      const [jobId] = newJob('MANUAL', 'DEPLOY');
      return {
        status: 200,
        body: { jobId, fileUploadUrls: {}, zipUploadUrl: `${base}/_upload/${prefix}/${jobId}` },
      };
    }
    if (operation === 'StartDeployment') {
      const jobId = body.jobId as string | undefined;
      const job = jobId ? jobs.get(`${prefix}/${jobId}`) : undefined;
      if (!jobId || !job)
        return fail(
          400,
          'BadRequestException',
          'jobId is required and must come from CreateDeployment (sourceUrl is not supported by this stand-in)',
        );
      if (job.summary.status !== 'PENDING')
        return fail(400, 'BadRequestException', `Job ${jobId} was already started.`);
      sites.run({ app: record.app, branch, job, key: `${prefix}/${jobId}`, logUrl: logUrl(jobId) });
      return { status: 200, body: { jobSummary: job.summary } };
    }
    if (operation === 'StartJob') {
      if (body.jobType !== 'RELEASE')
        return fail(
          400,
          'BadRequestException',
          `jobType ${String(body.jobType)} is not supported by this stand-in`,
        );
      const repository = record.app.repository as string;
      if (!repository)
        return fail(400, 'BadRequestException', 'A RELEASE job needs an app connected to a repository.');
      const [jobId, job] = newJob('RELEASE', 'BUILD');
      sites.run({
        app: record.app,
        branch,
        job,
        key: `${prefix}/${jobId}`,
        repositoryDir: options.repositories?.[repository] ?? `/nonexistent/${repository}`,
        logUrl: logUrl(jobId),
      });
      return { status: 200, body: { jobSummary: job.summary } };
    }
    const job = jobs.get(`${prefix}/${params.jobId}`);
    if (!job) return fail(404, 'NotFoundException', `Job ${params.jobId} not found.`);
    return { status: 200, body: { job: { summary: job.summary, steps: job.steps } } };
  }

  base = running.url;
  return {
    ...running,
    hostingUrl: sites.hostingUrl,
    jobs,
    servedDir: sites.servedDir,
    close: async () => {
      await sites.close();
      await running.close();
    },
    apps,
    setDomainStatus(appId, domainName, status) {
      const association = apps.get(appId)?.domains.get(domainName);
      if (!association) throw new Error(`no domain ${domainName} on ${appId}`);
      association.domainStatus = status;
      if (status === 'AVAILABLE') for (const s of association.subDomains as Stored[]) s.verified = true;
    },
    failNext(operation, name, status, times = 1) {
      injected.push({ operation, name, status, times });
    },
  };
}
