import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApiOps } from '../../../../src/providers/apigateway/http-api.js';
import { iamOps } from '../../../../src/providers/iam/roles.js';
import { lambdaOps } from '../../../../src/providers/lambda/functions.js';
import { type BackendStandIns, startBackendStandIns } from '../../../../src/sandbox/backend-stand-ins.js';

// The three clients with the real SDK over HTTP against the stand-ins: the waits on State /
// LastUpdateStatus, Lambda's refusal of a change while one is in progress, paging of GetApis, and a
// role deleted with its policies.

let aws: BackendStandIns;
const common = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'k', secretAccessKey: 's' },
  maxAttempts: 1,
};

beforeAll(async () => {
  aws = await startBackendStandIns({ region: 'us-east-1', cognitoUrl: 'http://127.0.0.1:9', settlePolls: 3 });
});
afterAll(async () => {
  await aws.close();
});

describe('backend clients against the stand-ins', () => {
  it('creates a role, a function, waits until Active, refuses a change mid-update, deletes the role with its policies', async () => {
    const iam = await iamOps(new IAMClient({ ...common, endpoint: aws.iam.url }));
    const role = await iam.createRole({
      roleName: 'unit-exec',
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      description: 'unit',
      tags: { 'engify-migrate:project': 'unit' },
    });
    expect(role.Arn).toBe('arn:aws:iam::123456789012:role/unit-exec');
    expect((await iam.getRole('unit-exec'))?.Tags).toEqual([
      { Key: 'engify-migrate:project', Value: 'unit' },
    ]);
    await iam.attachPolicy('unit-exec', 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
    await iam.putInlinePolicy('unit-exec', 'read', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:x' }],
    });
    expect(await iam.getInlinePolicy('unit-exec', 'read')).toMatchObject({
      Statement: [{ Resource: 'arn:x' }],
    });

    const lambda = await lambdaOps(new LambdaClient({ ...common, endpoint: aws.lambda.url }));
    const zip = zipSync({
      'run.sh': new TextEncoder().encode('#!/bin/sh\nexec python3 -m http.server "$PORT"\n'),
    });
    const spec = {
      name: 'unit-fn',
      roleArn: role.Arn as string,
      code: { zip },
      runtime: 'python3.12',
      handler: 'run.sh',
      layers: ['arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26'],
      memoryMb: 256,
      timeoutSeconds: 10,
      architecture: 'x86_64' as const,
      environment: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap' },
    };
    const created = await lambda.create(spec);
    expect(created.State).toBe('Pending');
    const ready = await lambda.waitReady('unit-fn', { pollIntervalMs: 1, timeoutMs: 5000 });
    expect(ready.State).toBe('Active');
    await lambda.updateConfiguration({ ...spec, memoryMb: 512 });
    await expect(lambda.updateCode('unit-fn', { zip }, 'x86_64')).rejects.toThrow(/update is in progress/);
    const settled = await lambda.waitReady('unit-fn', { pollIntervalMs: 1, timeoutMs: 5000 });
    expect(settled).toMatchObject({ MemorySize: 512, LastUpdateStatus: 'Successful' });
    const r = await lambda.invoke('unit-fn', {
      version: '2.0',
      rawPath: '/',
      requestContext: { http: { method: 'GET' } },
      headers: {},
    });
    expect(JSON.parse(r.payload)).toMatchObject({ statusCode: 200 });
    await lambda.delete('unit-fn');
    expect(await lambda.get('unit-fn')).toBeUndefined();

    await iam.deleteRole('unit-exec');
    expect(await iam.getRole('unit-exec')).toBeUndefined();
    expect(aws.iam.roles.size).toBe(0);
  });

  it('refuses a role Lambda cannot assume, and pages through GetApis', async () => {
    const lambda = await lambdaOps(new LambdaClient({ ...common, endpoint: aws.lambda.url }));
    await expect(
      lambda.create({
        name: 'x',
        roleArn: 'arn:aws:iam::123456789012:role/none',
        code: { zip: zipSync({}) },
        memoryMb: 128,
        timeoutSeconds: 3,
        architecture: 'x86_64',
        environment: {},
      }),
    ).rejects.toThrow(/cannot be assumed/);
    const api = await httpApiOps(new ApiGatewayV2Client({ ...common, endpoint: aws.apigateway.url }));
    for (let i = 0; i < 30; i++)
      await api.createApi({ name: i === 29 ? 'last' : `api-${i}`, cors: {}, tags: {} });
    expect(await api.findApis('last')).toHaveLength(1);
    expect(aws.apigateway.requests.filter((r) => r.method === 'GET' && r.path === '/v2/apis').length).toBe(2);
    await expect(api.createLambdaIntegration('nope', 'arn', 1000)).rejects.toThrow(/Invalid API identifier/);
  });
});
