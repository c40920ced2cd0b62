import type { HostingDeployConfig } from '../../config/schema.js';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { platformFor } from '../../providers/amplify/build-spec.js';
import {
  type DeployOps,
  deployOps,
  FINAL_JOB_STATES,
  type JobState,
} from '../../providers/amplify/deploy.js';
import { describeArtifact, resolveIn, runBuild, zipArtifact } from './deploy-artifact.js';
import { siteChecks } from './deploy-smoke.js';
import {
  amplifyConfig,
  appId as currentAppId,
  frontendSource,
  hostingEnabled,
  ops,
  requireAppId,
} from './hosting-shared.js';

// hosting.deploy: a build really served by the Amplify branch. Two ways, chosen by hosting.deploy:
// "manual" zips the build output (CreateDeployment, upload, StartDeployment), "repository" connects the
// app to its Git repository and starts a RELEASE job. Either way the job is polled to SUCCEED or FAILED.
// What was deployed is journaled (app, digest or repository, job), so a rerun on the same artifact is a
// noop, and a run killed while the job ran picks the same job up again instead of starting another.
// Amplify Hosting does not take manual deploys of server-rendered apps (user guide, "Deploying an
// application to Amplify without a Git repository"), so plan refuses manual + WEB_COMPUTE up front.

export const DEPLOY_STEP = 'hosting.deploy';
const m = messages.hostingDeploy;

interface Deployed {
  appId: string;
  way: 'manual' | 'repository';
  jobId: string;
  digest?: string;
  repository?: string;
}

interface Pending extends Deployed {
  started: boolean;
}

export function deployConfig(ctx: StepContext): HostingDeployConfig {
  const h = ctx.config.hosting;
  if (!h)
    throw new EngifyError({
      code: 'CONFIG_SECTION_MISSING',
      kind: 'config',
      message: messages.config.needsSection('hosting', DEPLOY_STEP),
    });
  return h;
}

const record = <T>(ctx: StepContext, key: string) => ctx.journal.outputOf(DEPLOY_STEP, key) as T | undefined;

async function repositoryOf(ctx: StepContext, h: HostingDeployConfig): Promise<string> {
  const url = h.repository?.url ?? (await frontendSource(ctx).settings()).repository?.url;
  if (!url)
    throw new EngifyError({
      code: 'HOSTING_NO_REPOSITORY',
      kind: 'config',
      message: m.noRepository,
      hint: m.noRepositoryHint,
    });
  return url;
}

function buildCommandOf(h: HostingDeployConfig, sourceCommand: string | null): string | undefined {
  if (!h.build) return undefined;
  if (h.build !== true && h.build.command) return h.build.command;
  return sourceCommand ?? 'npm run build';
}

async function wait(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Polls GetJob until a final state; the last state seen is returned, or an error on timeout. */
async function pollJob(ctx: StepContext, d: DeployOps, appId: string, branch: string, jobId: string) {
  const h = deployConfig(ctx);
  const started = Date.now();
  let last = '';
  for (let polls = 1; ; polls++) {
    const job = await d.getJob(appId, branch, jobId);
    const status = job?.status ?? 'UNKNOWN';
    if (status !== last) ctx.log(m.jobStatus(jobId, status));
    last = status;
    ctx.progress({ done: polls, unit: `polls (job ${jobId}: ${status})` });
    if (job && (FINAL_JOB_STATES as readonly string[]).includes(status)) return job;
    if (ctx.signal.aborted || Date.now() - started > h.timeoutMs)
      throw new EngifyError({
        code: 'HOSTING_JOB_TIMEOUT',
        kind: 'transient',
        message: m.jobTimeout(jobId, status, h.timeoutMs),
        hint: m.jobTimeoutHint,
      });
    await wait(h.pollIntervalMs, ctx.signal);
  }
}

function finish(ctx: StepContext, job: JobState, done: Deployed): void {
  if (job.status !== 'SUCCEED')
    throw new EngifyError({
      code: 'HOSTING_JOB_FAILED',
      kind: 'system',
      message: m.jobFailed(job.jobId, job.status, job.logUrl),
      hint: m.jobFailedHint(job.logUrl),
    });
  ctx.journal.output('deployed', { ...done } as unknown as Json);
  ctx.log(m.deployed(job.jobId, done.way));
}

/** What plan decided to deploy: a build to run, an artifact of a known digest, or a repository release. */
type DeployDetails =
  | { way: 'manual'; build: string; artifactDir: string; smoke: string[] }
  | { way: 'manual'; artifactDir: string; digest: string; files: number; smoke: string[] }
  | { way: 'repository'; repository: string; branch: string; smoke: string[] };
type DeployAction = PlannedAction<'deploy', DeployDetails>;

async function applyManual(
  ctx: StepContext,
  d: DeployOps,
  appId: string,
  branch: string,
  change: DeployAction,
) {
  const h = deployConfig(ctx);
  const settings = await frontendSource(ctx).settings();
  const command = buildCommandOf(h, settings.buildCommand);
  if (command) {
    const cwd = resolveIn(ctx.configDir, h.build !== true && h.build?.cwd ? h.build.cwd : '.');
    ctx.log(m.building(command, cwd));
    await runBuild(command, cwd, { signal: ctx.signal, log: ctx.log });
  }
  const { artifact, zip } = zipArtifact(
    resolveIn(ctx.configDir, h.artifactDir as string),
    'hosting.artifactDir',
  );
  // Without a build, plan saw the artifact itself: files changed since then are not what was reviewed.
  const planned = change.details;
  if ('digest' in planned && planned.digest !== artifact.digest)
    throw planDrift(
      'hosting.deploy',
      change.resource,
      `artifact ${planned.digest}`,
      `artifact ${artifact.digest}`,
    );
  const deployed = record<Deployed>(ctx, 'deployed');
  if (deployed?.appId === appId && deployed.digest === artifact.digest) {
    ctx.log(m.alreadyDeployed(artifact.digest, deployed.jobId));
    return;
  }
  const pending = record<Pending>(ctx, 'pending');
  if (pending?.appId === appId && pending.digest === artifact.digest && pending.started) {
    const job = await d.getJob(appId, branch, pending.jobId);
    if (job && job.status !== 'FAILED' && job.status !== 'CANCELLED') {
      ctx.log(m.resuming(pending.jobId));
      return finish(ctx, await pollJob(ctx, d, appId, branch, pending.jobId), pending);
    }
  }
  // A deployment created but never started expires on its own (8 hours after CreateDeployment).
  const { jobId, zipUploadUrl } = await d.createDeployment(appId, branch);
  const next: Pending = { appId, way: 'manual', jobId, digest: artifact.digest, started: false };
  ctx.journal.output('pending', { ...next } as unknown as Json);
  ctx.log(m.uploading(artifact.files, artifact.bytes, jobId));
  await d.uploadZip(zipUploadUrl, zip);
  await d.startDeployment(appId, branch, jobId);
  ctx.journal.output('pending', { ...next, started: true } as unknown as Json);
  finish(ctx, await pollJob(ctx, d, appId, branch, jobId), next);
}

async function applyRepository(
  ctx: StepContext,
  d: DeployOps,
  appId: string,
  branch: string,
  change: DeployAction,
) {
  const h = deployConfig(ctx);
  const repository = await repositoryOf(ctx, h);
  const planned = change.details;
  if (planned.way !== 'repository' || planned.repository !== repository)
    throw planDrift(
      'hosting.deploy',
      change.resource,
      planned.way === 'repository' ? planned.repository : 'a manual deploy',
      repository,
    );
  const deployed = record<Deployed>(ctx, 'deployed');
  if (deployed?.appId === appId && deployed.way === 'repository' && deployed.repository === repository) {
    ctx.log(m.alreadyReleased(repository, deployed.jobId));
    return;
  }
  const app = await (await ops(ctx)).getApp(appId);
  if (app?.repository !== repository) {
    ctx.log(m.connecting(repository));
    // The token reaches Amplify in this one call and nowhere else: never planned, journaled or logged.
    await d.connectRepository(appId, repository, h.repository?.token as string);
  }
  const pending = record<Pending>(ctx, 'pending');
  if (pending?.appId === appId && pending.way === 'repository' && pending.repository === repository) {
    const job = await d.getJob(appId, branch, pending.jobId);
    if (job && job.status !== 'FAILED' && job.status !== 'CANCELLED') {
      ctx.log(m.resuming(pending.jobId));
      return finish(ctx, await pollJob(ctx, d, appId, branch, pending.jobId), pending);
    }
  }
  const jobId = await d.startRelease(appId, branch);
  const next: Pending = { appId, way: 'repository', jobId, repository, started: true };
  ctx.journal.output('pending', { ...next } as unknown as Json);
  finish(ctx, await pollJob(ctx, d, appId, branch, jobId), next);
}

export const hostingDeployStep: Step<DeployAction> = {
  id: DEPLOY_STEP,
  phase: 3,
  component: 'hosting',
  title: 'Build served by the Amplify branch (manual zip deploy or repository RELEASE job)',
  dependsOn: ['hosting.app', 'hosting.env'],
  enabled: (config) => hostingEnabled(config) && config.hosting !== undefined,

  async plan(ctx) {
    const h = deployConfig(ctx);
    const a = amplifyConfig(ctx);
    const settings = await frontendSource(ctx).settings();
    const platform = platformFor(settings, a.platform);
    const resource = `amplify deployment on branch ${a.branch}`;
    const smoke = h.smoke.map((s) => s.path);
    const app = currentAppId(ctx);
    const deployed = record<Deployed>(ctx, 'deployed');
    if (h.deploy === 'manual') {
      if (platform === 'WEB_COMPUTE')
        throw new EngifyError({
          code: 'HOSTING_MANUAL_SSR',
          kind: 'config',
          message: m.manualSsr(settings.name, settings.framework ?? 'this framework'),
          hint: m.manualSsrHint,
        });
      const command = buildCommandOf(h, settings.buildCommand);
      const dir = resolveIn(ctx.configDir, h.artifactDir as string);
      if (command)
        return [
          {
            action: 'create',
            resource,
            summary: m.planBuild(command, h.artifactDir as string),
            subject: 'deploy',
            details: { way: 'manual', build: command, artifactDir: dir, smoke },
          },
        ];
      const artifact = describeArtifact(dir, 'hosting.artifactDir');
      const details: DeployDetails = {
        way: 'manual',
        artifactDir: dir,
        digest: artifact.digest,
        files: artifact.files,
        smoke,
      };
      if (app && deployed?.appId === app && deployed.digest === artifact.digest)
        return [
          {
            action: 'noop',
            resource,
            subject: 'deploy',
            summary: m.alreadyDeployed(artifact.digest, deployed.jobId),
            details,
          },
        ];
      return [
        {
          action: 'create',
          resource,
          subject: 'deploy',
          summary: m.planManual(artifact.files, artifact.bytes, artifact.digest),
          details,
        },
      ];
    }
    const repository = await repositoryOf(ctx, h);
    const details: DeployDetails = { way: 'repository', repository, branch: a.branch, smoke };
    const warnings =
      settings.repository?.branch && settings.repository.branch !== a.branch
        ? [m.branchDiffers(settings.repository.branch, a.branch)]
        : [];
    if (app && deployed?.appId === app && deployed.way === 'repository' && deployed.repository === repository)
      return [
        {
          action: 'noop',
          resource,
          subject: 'deploy',
          summary: m.alreadyReleased(repository, deployed.jobId),
          details,
        },
      ];
    const change: DeployAction = {
      action: 'create',
      resource,
      subject: 'deploy',
      summary: m.planRepository(repository, a.branch),
      details,
    };
    return [warnings.length ? { ...change, warnings } : change];
  },

  async apply(ctx, change) {
    const h = deployConfig(ctx);
    const appId = requireAppId(ctx);
    const branch = amplifyConfig(ctx).branch;
    const d = await deployOps(await ctx.services.amplify(), { signal: ctx.signal });
    if (h.deploy === 'manual') await applyManual(ctx, d, appId, branch, change);
    else await applyRepository(ctx, d, appId, branch, change);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    const h = deployConfig(ctx);
    const appId = currentAppId(ctx);
    const deployed = record<Deployed>(ctx, 'deployed');
    if (!appId || !deployed || deployed.appId !== appId) {
      checks.push({
        name: 'amplify deployment',
        expected: 'SUCCEED',
        actual: 'none',
        ok: false,
        hint: m.noDeploymentHint,
      });
      return checks;
    }
    try {
      const d = await deployOps(await ctx.services.amplify(), { signal: ctx.signal });
      const job = await d.getJob(appId, amplifyConfig(ctx).branch, deployed.jobId);
      const status = job?.status ?? 'missing';
      checks.push({
        name: `amplify job ${deployed.jobId}`,
        expected: 'SUCCEED',
        actual: status,
        ok: status === 'SUCCEED',
        ...(status === 'SUCCEED' ? {} : { hint: m.jobFailedHint(job?.logUrl) }),
      });
      checks.push(...(await siteChecks(ctx, h, appId)));
    } catch (error) {
      checks.push({
        name: 'amplify deployment',
        expected: 'readable',
        actual: error instanceof Error ? error.message : String(error),
        ok: false,
        ...(error instanceof EngifyError && error.hint ? { hint: error.hint } : {}),
      });
    }
    return checks;
  },

  // Deployments and jobs live on the branch: hosting.app's rollback deletes the app with them. The
  // journaled outputs go with this step's `rolledback` record, so a later apply deploys afresh.
  async rollback() {},
};
