import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import type { Config } from '../config/schema.js';
import type { DemoStack } from './demo-stack.js';
import { LOCAL_CREDENTIALS } from './stack.js';

// What the target side holds after the move, counted there (not taken from the steps' own reports):
// rows per table in the target database, users in the pool, vector items, S3 objects, Amplify env
// vars and secrets. The demo prints it next to what it seeded.

export interface Census {
  rows: Record<string, number>;
  users: number;
  points?: number;
  objects: number;
  envVars: number;
  secrets: number;
}

async function countRows(url: string): Promise<Record<string, number>> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows: tables } = await db.query<{ name: string }>(
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema IN ('public', 'auth') ORDER BY 1`,
    );
    const out: Record<string, number> = {};
    for (const { name } of tables) {
      const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
      out[name] = Number(rows[0]?.n ?? 0);
    }
    return out;
  } finally {
    await db.end();
  }
}

async function countItems(stack: DemoStack, table: string): Promise<number> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stack.endpoints.dynamodb,
    credentials: { ...LOCAL_CREDENTIALS },
  });
  try {
    let n = 0;
    let start: ScanCommand['input']['ExclusiveStartKey'];
    do {
      const out = await client.send(
        new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }),
      );
      n += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return n;
  } finally {
    client.destroy();
  }
}

async function countObjects(stack: DemoStack, bucket: string): Promise<number> {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: stack.endpoints.s3,
    credentials: { ...LOCAL_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    let n = 0;
    let token: string | undefined;
    do {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      n += out.KeyCount ?? 0;
      token = out.NextContinuationToken;
    } while (token);
    return n;
  } finally {
    client.destroy();
  }
}

export async function takeCensus(
  stack: DemoStack,
  config: Config,
  poolId: string | undefined,
  /** The target database's direct URL (components/db/target-db.ts), if it has one. */
  targetUrl: string | undefined,
): Promise<Census> {
  const rows = targetUrl ? await countRows(targetUrl) : {};
  let users = 0;
  if (poolId) {
    const res = await fetch(stack.endpoints.cognitoLocal, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.ListUsers',
      },
      body: JSON.stringify({ UserPoolId: poolId }),
    });
    users = ((await res.json()) as { Users?: unknown[] }).Users?.length ?? 0;
  }
  const table = config.target.dynamodb?.vectorTable;
  const points = table ? await countItems(stack, table) : undefined;
  const objects = config.target.s3 ? await countObjects(stack, config.target.s3.bucket) : 0;
  // App-level and branch-level variables: a name set on both counts once.
  const names = new Set<string>();
  for (const app of stack.amplify.apps.values()) {
    for (const k of Object.keys((app.app.environmentVariables ?? {}) as Record<string, string>)) names.add(k);
    for (const branch of app.branches.values())
      for (const k of Object.keys((branch.environmentVariables ?? {}) as Record<string, string>))
        names.add(k);
  }
  const envVars = names.size;
  const secrets =
    [...stack.secrets.secrets.values()].filter((x) => x.deletedAt === undefined).length +
    stack.secrets.parameters.size;
  return { rows, users, ...(points === undefined ? {} : { points }), objects, envVars, secrets };
}
