import {
  CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  CreateUserPoolCommand,
  DescribeUserImportJobCommand,
  GetCSVHeaderCommand,
  ListUsersCommand,
  StartUserImportJobCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type CognitoFront,
  HASH_COLUMN,
  startCognitoFront,
} from '../../../src/sandbox/cognito-import-jobs.js';
import { LOCAL_CREDENTIALS } from '../../../src/sandbox/stack.js';

// The import-job front over the suite's cognito-local, driven by the real SDK client and a real HTTP
// PUT of the CSV. The front must be no kinder than Cognito: the CSV's first row is the header
// GetCSVHeader returned (every column present, none added), and a BCRYPT job takes bcrypt hashes only.

const HASH = '$2b$10$abcdefghijklmnopqrstuuJ3x5uLQ0qz6yJ7b7p8aYl9s0Qj8dBGm';
let front: CognitoFront;
let cognito: CognitoIdentityProviderClient;

beforeAll(async () => {
  front = await startCognitoFront({ upstream: inject('stack').endpoints.cognito });
  cognito = new CognitoIdentityProviderClient({
    region: 'us-east-1',
    endpoint: front.url,
    credentials: { ...LOCAL_CREDENTIALS },
  });
});
afterAll(async () => {
  cognito?.destroy();
  await front?.stop();
});

let n = 0;
async function pool(): Promise<{ poolId: string; header: string[] }> {
  const created = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: `import-${process.pid}-${++n}`,
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
    }),
  );
  const poolId = created.UserPool?.Id ?? '';
  const header = (await cognito.send(new GetCSVHeaderCommand({ UserPoolId: poolId }))).CSVHeader ?? [];
  return { poolId, header };
}

/** Creates, uploads and starts one BCRYPT job, then reads it until it ends (no clock involved). */
async function runJob(poolId: string, csv: string): Promise<UserImportJobType> {
  const created = await cognito.send(
    new CreateUserImportJobCommand({
      UserPoolId: poolId,
      JobName: 'test',
      CloudWatchLogsRoleArn: 'arn:aws:iam::000000000000:role/cognito-import',
      PasswordHashingAlgorithm: 'BCRYPT',
    }),
  );
  const job = created.UserImportJob;
  const put = await fetch(job?.PreSignedUrl ?? '', {
    method: 'PUT',
    body: csv,
    headers: { 'x-amz-server-side-encryption': 'aws:kms', 'content-type': 'text/csv' },
  });
  expect(put.status).toBe(200);
  await cognito.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job?.JobId }));
  for (let i = 0; i < 10_000; i++) {
    const out = await cognito.send(
      new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: job?.JobId }),
    );
    if (['Succeeded', 'Failed', 'Stopped', 'Expired'].includes(out.UserImportJob?.Status ?? ''))
      return out.UserImportJob ?? {};
  }
  throw new Error('the import job never ended');
}

const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const row = (header: string[], values: Record<string, string>) =>
  `${header.map((h) => cell(values[h] ?? '')).join(',')}\n`;
const ann = {
  'cognito:username': 'ann@example.com',
  'cognito:mfa_enabled': 'false',
  email: 'ann@example.com',
  email_verified: 'true',
  [HASH_COLUMN]: HASH,
};

async function users(poolId: string) {
  return (await cognito.send(new ListUsersCommand({ UserPoolId: poolId }))).Users ?? [];
}

describe('Cognito import-job front', () => {
  it('imports a CSV whose first row is the header GetCSVHeader returned', async () => {
    const { poolId, header } = await pool();
    expect(header).toContain(HASH_COLUMN);
    const job = await runJob(poolId, `${header.join(',')}\n${row(header, ann)}`);
    expect(job).toMatchObject({ Status: 'Succeeded', ImportedUsers: 1, FailedUsers: 0 });
    expect(await users(poolId)).toHaveLength(1);
  });

  it('fails the job when the header names a column GetCSVHeader did not return', async () => {
    const { poolId, header } = await pool();
    const renamed = header.map((h) => (h === HASH_COLUMN ? 'cognito:password_hash_bcrypt' : h));
    const values = { ...ann, 'cognito:password_hash_bcrypt': HASH };
    const job = await runJob(poolId, `${renamed.join(',')}\n${row(renamed, values)}`);
    expect(job.Status).toBe('Failed');
    expect(job.CompletionMessage).toContain('cognito:password_hash_bcrypt');
    expect(job.ImportedUsers).toBe(0);
    expect(await users(poolId)).toHaveLength(0);
  });

  it('fails the job when a column of the header is missing', async () => {
    const { poolId, header } = await pool();
    const short = header.filter((h) => h !== HASH_COLUMN);
    const job = await runJob(poolId, `${short.join(',')}\n${row(short, ann)}`);
    expect(job.Status).toBe('Failed');
    expect(job.CompletionMessage).toContain(HASH_COLUMN);
    expect(await users(poolId)).toHaveLength(0);
  });

  it('refuses a row whose hash is not a bcrypt hash in a BCRYPT job', async () => {
    const { poolId, header } = await pool();
    const argon = { ...ann, [HASH_COLUMN]: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo' };
    const job = await runJob(poolId, `${header.join(',')}\n${row(header, argon)}`);
    expect(job).toMatchObject({ Status: 'Succeeded', ImportedUsers: 0, FailedUsers: 1 });
    expect(await users(poolId)).toHaveLength(0);
  });
});
