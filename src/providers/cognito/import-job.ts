import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { sleep, withRetry } from '../../core/retry.js';
import type { CognitoUserWriter } from './user-writer.js';

// One Cognito user import job carrying bcrypt hashes: CreateUserImportJob (PasswordHashingAlgorithm
// BCRYPT), PUT the CSV to the job's pre-signed URL (with the server-side-encryption header the guide's
// example sends), StartUserImportJob, then poll DescribeUserImportJob until the job ends.

export interface ImportJobResult {
  jobId: string;
  status: string;
  imported: number;
  skipped: number;
  failed: number;
  message?: string;
}

const FINISHED = new Set(['Succeeded', 'Failed', 'Stopped', 'Expired']);

export async function runImportJob(options: {
  client: CognitoIdentityProviderClient;
  writer: CognitoUserWriter;
  poolId: string;
  jobName: string;
  roleArn: string;
  csv: Buffer;
  pollMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<ImportJobResult> {
  const sdk = await import('@aws-sdk/client-cognito-identity-provider');
  const { client, writer, poolId } = options;
  const created = await writer.call(
    () =>
      client.send(
        new sdk.CreateUserImportJobCommand({
          UserPoolId: poolId,
          JobName: options.jobName,
          CloudWatchLogsRoleArn: options.roleArn,
          PasswordHashingAlgorithm: 'BCRYPT',
        }),
      ),
    'CreateUserImportJob',
  );
  const jobId = created.UserImportJob?.JobId;
  const url = created.UserImportJob?.PreSignedUrl;
  if (!jobId || !url) {
    throw new EngifyError({
      code: 'AUTH_IMPORT_JOB',
      kind: 'system',
      message: messages.auth.importJobNoUrl(poolId),
      hint: messages.auth.importJobHint,
    });
  }
  await withRetry(
    async () => {
      const response = await fetch(url, {
        method: 'PUT',
        body: options.csv,
        headers: { 'x-amz-server-side-encryption': 'aws:kms', 'content-type': 'text/csv' },
        signal: AbortSignal.timeout(120_000),
      });
      if (!response.ok) {
        const error = new Error(`upload answered HTTP ${response.status}`) as Error & { status: number };
        error.status = response.status;
        throw error;
      }
    },
    { signal: options.signal },
  );
  await writer.call(
    () => client.send(new sdk.StartUserImportJobCommand({ UserPoolId: poolId, JobId: jobId })),
    'StartUserImportJob',
  );
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const out = await writer.call(
      () => client.send(new sdk.DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: jobId })),
      'DescribeUserImportJob',
    );
    const job = out.UserImportJob;
    const status = job?.Status ?? 'Unknown';
    if (FINISHED.has(status)) {
      return {
        jobId,
        status,
        imported: job?.ImportedUsers ?? 0,
        skipped: job?.SkippedUsers ?? 0,
        failed: job?.FailedUsers ?? 0,
        ...(job?.CompletionMessage ? { message: job.CompletionMessage } : {}),
      };
    }
    if (Date.now() > deadline || options.signal?.aborted) {
      throw new EngifyError({
        code: 'AUTH_IMPORT_TIMEOUT',
        kind: 'transient',
        message: messages.auth.importJobTimeout(jobId, status),
        hint: messages.auth.importJobTimeoutHint,
      });
    }
    await sleep(options.pollMs, options.signal);
  }
}
