import type { AmplifyClient, Job, JobStatus } from '@aws-sdk/client-amplify';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { amplifyError, isAmplifyNotFound } from './app.js';

// Amplify's two ways of putting a build on a branch: a manual deployment (CreateDeployment, PUT the
// zip to the returned zipUploadUrl, StartDeployment with the jobId) and a RELEASE job of an app
// connected to its repository (UpdateApp with repository + accessToken, StartJob). Both end in a job
// whose status GetJob reports: CREATED, PENDING, PROVISIONING, RUNNING, CANCELLING, then SUCCEED,
// FAILED or CANCELLED.

export const FINAL_JOB_STATES: readonly JobStatus[] = ['SUCCEED', 'FAILED', 'CANCELLED'];

export interface JobState {
  jobId: string;
  status: JobStatus | 'UNKNOWN';
  commitId?: string;
  /** The log of the first step that failed (or of the last step), when the job has one. */
  logUrl?: string;
}

function stateOf(job: Job | undefined, jobId: string): JobState {
  const steps = job?.steps ?? [];
  const failed = steps.find((s) => s.status === 'FAILED') ?? steps[steps.length - 1];
  return {
    jobId,
    status: job?.summary?.status ?? 'UNKNOWN',
    ...(job?.summary?.commitId ? { commitId: job.summary.commitId } : {}),
    ...(failed?.logUrl ? { logUrl: failed.logUrl } : {}),
  };
}

export async function deployOps(client: AmplifyClient, options: { signal?: AbortSignal } = {}) {
  const a = await import('@aws-sdk/client-amplify');
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw amplifyError(e, what);
    }
  };
  return {
    createDeployment: (appId: string, branchName: string) =>
      wrap(`create a deployment on branch ${branchName}`, async () => {
        const out = await client.send(new a.CreateDeploymentCommand({ appId, branchName }));
        if (!out.jobId || !out.zipUploadUrl)
          throw new Error('CreateDeployment answered without jobId or zipUploadUrl');
        return { jobId: out.jobId, zipUploadUrl: out.zipUploadUrl };
      }),
    /** The zip goes to the presigned URL as it is: no AWS signature, the URL carries it. */
    async uploadZip(url: string, zip: Uint8Array): Promise<void> {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'PUT',
          body: zip,
          headers: { 'content-type': 'application/zip' },
          signal: options.signal,
        });
      } catch (e) {
        throw new EngifyError({
          code: 'AMPLIFY_UPLOAD_FAILED',
          kind: 'transient',
          message: messages.hostingDeploy.uploadFailed(new URL(url).host, String(e)),
          hint: messages.hostingDeploy.rerunHint,
          cause: e,
        });
      }
      if (!res.ok)
        throw new EngifyError({
          code: 'AMPLIFY_UPLOAD_FAILED',
          kind: res.status >= 500 ? 'transient' : 'system',
          message: messages.hostingDeploy.uploadFailed(new URL(url).host, `HTTP ${res.status}`),
          hint: messages.hostingDeploy.rerunHint,
        });
    },
    startDeployment: (appId: string, branchName: string, jobId: string) =>
      wrap(`start deployment ${jobId}`, async () => {
        await client.send(new a.StartDeploymentCommand({ appId, branchName, jobId }));
      }),
    /** Connects the app to its repository; the token is passed through and never kept by this tool. */
    connectRepository: (appId: string, repository: string, accessToken: string) =>
      wrap(`connect app ${appId} to ${repository}`, async () => {
        await client.send(new a.UpdateAppCommand({ appId, repository, accessToken }));
      }),
    startRelease: (appId: string, branchName: string) =>
      wrap(`start a RELEASE job on branch ${branchName}`, async () => {
        const out = await client.send(new a.StartJobCommand({ appId, branchName, jobType: 'RELEASE' }));
        const jobId = out.jobSummary?.jobId;
        if (!jobId) throw new Error('StartJob answered without a jobId');
        return jobId;
      }),
    async getJob(appId: string, branchName: string, jobId: string): Promise<JobState | undefined> {
      try {
        const out = await client.send(new a.GetJobCommand({ appId, branchName, jobId }));
        return stateOf(out.job, jobId);
      } catch (e) {
        if (isAmplifyNotFound(e)) return undefined;
        throw amplifyError(e, `read job ${jobId}`);
      }
    },
  };
}

export type DeployOps = Awaited<ReturnType<typeof deployOps>>;

/** The branch's default URL: https://<branch displayName>.<app defaultDomain>. */
export function branchUrl(displayName: string, defaultDomain: string): string {
  return `https://${displayName}.${defaultDomain}`;
}
