import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { e2eWorkspace } from './e2e-config.js';

const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** What phase 1 left on the local stack for one workspace, read with the real SDK clients. */
export async function observe(ws: ReturnType<typeof e2eWorkspace>) {
  const cognito = new CognitoIdentityProviderClient({
    region: 'us-east-1',
    endpoint: ws.stack.endpoints.cognito,
    credentials: creds,
  });
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: ws.stack.endpoints.s3,
    forcePathStyle: true,
    credentials: creds,
  });
  const pools = (await cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? [];
  const mine = pools.filter((p) => p.Name === `${ws.project}-users`);
  const clients = [];
  for (const p of mine) {
    const c = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: p.Id!, MaxResults: 60 }));
    clients.push(...(c.UserPoolClients ?? []).map((x) => x.ClientName));
  }
  const bucket = await s3
    .send(new HeadBucketCommand({ Bucket: `${ws.project}-files` }))
    .then(() => true)
    .catch(() => false);
  const flagsPath = join(ws.dir, '.engify', 'flags.json');
  const flags = existsSync(flagsPath)
    ? Object.fromEntries(
        Object.entries(JSON.parse(readFileSync(flagsPath, 'utf8')) as Record<string, { mode: string }>).map(
          ([k, v]) => [k, v.mode],
        ),
      )
    : null;
  cognito.destroy();
  s3.destroy();
  return { pools: mine.length, clients: clients.sort(), bucket, flags };
}
