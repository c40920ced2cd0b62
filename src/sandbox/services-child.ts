// Child process of the local stack: s3rver and cognito-local. They run here rather than in the CLI's
// process because s3rver needs Node's --openssl-legacy-provider (else ListObjectsV2 pagination answers
// 500 on Node 20) and cognito-local keeps its data in ./.cognito of the current directory.
// Prints one JSON line {"s3": url, "cognito": url} when ready; exits when its parent goes away.

import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeS3rverListInKeyOrder, makeS3rverVersioningNotImplemented } from './s3rver-process.js';

interface ChildOptions {
  root: string;
  /** Lambda Invoke API endpoint for cognito-local's UserMigration trigger (served by the auth stand-in). */
  lambdaEndpoint?: string;
  userMigrationFunction?: string;
  /** Region whose Cognito issuer tokens carry (https://cognito-idp.<region>.amazonaws.com/<poolId>). */
  region?: string;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.ENGIFY_SANDBOX_CHILD ?? '{}') as ChildOptions;
  const s3Dir = join(options.root, 's3');
  const cognitoDir = join(options.root, 'cognito');
  mkdirSync(s3Dir, { recursive: true });
  mkdirSync(join(cognitoDir, '.cognito'), { recursive: true });

  const { default: S3rver } = await import('s3rver');
  await makeS3rverVersioningNotImplemented();
  await makeS3rverListInKeyOrder();
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
  const s3Address = (await s3.run()) as AddressInfo;

  writeFileSync(
    join(cognitoDir, '.cognito', 'config.json'),
    JSON.stringify({
      ServerConfig: { hostname: '127.0.0.1', port: 0 },
      // Tokens carry the issuer AWS puts in them, so a JWT authorizer configured as on AWS accepts
      // them; the JWKS stays on this server at /<poolId>/.well-known/jwks.json.
      TokenConfig: { IssuerDomain: `https://cognito-idp.${options.region ?? 'us-east-1'}.amazonaws.com` },
      ...(options.lambdaEndpoint
        ? {
            LambdaClient: {
              endpoint: options.lambdaEndpoint,
              region: 'local',
              credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
            },
            TriggerFunctions: options.userMigrationFunction
              ? { UserMigration: options.userMigrationFunction }
              : {},
          }
        : {}),
    }),
  );
  process.chdir(cognitoDir);
  const { pino } = await import('pino');
  const { createDefaultServer } = await import('cognito-local/lib/server/index.js');
  const server = await createDefaultServer(
    pino({ level: process.env.ENGIFY_SANDBOX_DEBUG ? 'debug' : 'silent' }),
  );
  const http = await server.start();
  const cognitoAddress = http.address() as AddressInfo;

  process.stdout.write(
    `${JSON.stringify({
      s3: `http://127.0.0.1:${s3Address.port}`,
      cognito: `http://127.0.0.1:${cognitoAddress.port}`,
    })}\n`,
  );

  const stop = async () => {
    http.close();
    await s3.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The parent holds our stdin open; when it dies (even by kill -9) stdin ends and we go too.
  process.stdin.resume();
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
