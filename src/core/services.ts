import type { AmplifyClient } from '@aws-sdk/client-amplify';
import type { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Client as PgClient } from 'pg';
import type { AwsConfig } from '../config/schema.js';

// Clients are created lazily, on first use, with dynamic imports: `--help` and config errors never pay
// for loading the AWS SDK. Every AWS client gets the same timeouts, retry budget and adaptive retry
// (client-side rate limiting on throttling), as the design requires of every remote call.

export interface Services {
  cognito(): Promise<CognitoIdentityProviderClient>;
  dynamodb(): Promise<DynamoDBClient>;
  s3(): Promise<S3Client>;
  amplify(): Promise<AmplifyClient>;
  rdsData(): Promise<RDSDataClient>;
  /** The RDS control plane (db.instance). */
  rds(): Promise<RDSClient>;
  secretsManager(): Promise<SecretsManagerClient>;
  ssm(): Promise<SSMClient>;
  route53(): Promise<Route53Client>;
  lambda(): Promise<LambdaClient>;
  apiGateway(): Promise<ApiGatewayV2Client>;
  iam(): Promise<IAMClient>;
  cloudwatch(): Promise<CloudWatchClient>;
  sns(): Promise<SNSClient>;
  dms(): Promise<DatabaseMigrationServiceClient>;
  /** A new connected pg client; the caller ends it. `application_name` marks our sessions. */
  pg(url: string, options?: { database?: string; replication?: boolean }): Promise<PgClient>;
  close(): Promise<void>;
}

interface Closable {
  destroy(): void;
}

export function createServices(aws: AwsConfig): Services {
  const cache = new Map<string, Promise<unknown>>();
  const opened: Closable[] = [];

  const common = (endpoint: string | undefined) => ({
    region: aws.region,
    ...(endpoint ? { endpoint } : {}),
    ...(aws.credentials ? { credentials: aws.credentials } : {}),
    maxAttempts: aws.maxAttempts,
    retryMode: 'adaptive' as const,
    // Without throwOnRequestTimeout the SDK only logs a warning when a request stalls past its timeout
    // and keeps waiting; with it, the stalled call fails and is retried like any transient error.
    requestHandler: {
      requestTimeout: aws.requestTimeoutMs,
      connectionTimeout: Math.min(aws.requestTimeoutMs, 5000),
      throwOnRequestTimeout: true,
    },
  });

  const lazy = <T extends Closable>(key: string, make: () => Promise<T>): Promise<T> => {
    let found = cache.get(key) as Promise<T> | undefined;
    if (!found) {
      found = (async () => {
        if (aws.profile && !aws.credentials && !process.env.AWS_PROFILE)
          process.env.AWS_PROFILE = aws.profile;
        const client = await make();
        opened.push(client);
        return client;
      })();
      cache.set(key, found);
    }
    return found;
  };

  return {
    cognito: () =>
      lazy('cognito', async () => {
        const { CognitoIdentityProviderClient } = await import('@aws-sdk/client-cognito-identity-provider');
        return new CognitoIdentityProviderClient(common(aws.endpoints.cognito));
      }),
    dynamodb: () =>
      lazy('dynamodb', async () => {
        const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
        return new DynamoDBClient(common(aws.endpoints.dynamodb));
      }),
    s3: () =>
      lazy('s3', async () => {
        const { S3Client } = await import('@aws-sdk/client-s3');
        const local = aws.endpoints.s3 !== undefined;
        return new S3Client({
          ...common(aws.endpoints.s3),
          // Local S3 stand-ins need path-style addressing, and s3rver stores aws-chunked framing bytes
          // verbatim when the SDK adds flexible checksums to streamed bodies (silent corruption).
          ...(local
            ? {
                forcePathStyle: true,
                requestChecksumCalculation: 'WHEN_REQUIRED' as const,
                responseChecksumValidation: 'WHEN_REQUIRED' as const,
              }
            : {}),
        });
      }),
    amplify: () =>
      lazy('amplify', async () => {
        const { AmplifyClient } = await import('@aws-sdk/client-amplify');
        return new AmplifyClient(common(aws.endpoints.amplify));
      }),
    rdsData: () =>
      lazy('rdsData', async () => {
        const { RDSDataClient } = await import('@aws-sdk/client-rds-data');
        return new RDSDataClient(common(aws.endpoints.rdsData));
      }),
    rds: () =>
      lazy('rds', async () => {
        const { RDSClient } = await import('@aws-sdk/client-rds');
        return new RDSClient(common(aws.endpoints.rds));
      }),
    secretsManager: () =>
      lazy('secretsManager', async () => {
        const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
        return new SecretsManagerClient(common(aws.endpoints.secretsManager));
      }),
    ssm: () =>
      lazy('ssm', async () => {
        const { SSMClient } = await import('@aws-sdk/client-ssm');
        return new SSMClient(common(aws.endpoints.ssm));
      }),
    route53: () =>
      lazy('route53', async () => {
        const { Route53Client } = await import('@aws-sdk/client-route-53');
        return new Route53Client(common(aws.endpoints.route53));
      }),
    lambda: () =>
      lazy('lambda', async () => {
        const { LambdaClient } = await import('@aws-sdk/client-lambda');
        return new LambdaClient(common(aws.endpoints.lambda));
      }),
    apiGateway: () =>
      lazy('apiGateway', async () => {
        const { ApiGatewayV2Client } = await import('@aws-sdk/client-apigatewayv2');
        return new ApiGatewayV2Client(common(aws.endpoints.apigateway));
      }),
    iam: () =>
      lazy('iam', async () => {
        const { IAMClient } = await import('@aws-sdk/client-iam');
        return new IAMClient(common(aws.endpoints.iam));
      }),
    // client-cloudwatch 3.1178 speaks AWS JSON 1.0 (X-Amz-Target GraniteServiceVersion20100801.<Op>,
    // awsQueryCompatible) by default, and that is what the stand-in serves. It refuses any other
    // protocol (the service also takes Smithy RPC v2 CBOR), so an SDK update that changes the default
    // fails the provider tests instead of passing untested.
    cloudwatch: () =>
      lazy('cloudwatch', async () => {
        const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
        return new CloudWatchClient(common(aws.endpoints.cloudwatch));
      }),
    sns: () =>
      lazy('sns', async () => {
        const { SNSClient } = await import('@aws-sdk/client-sns');
        return new SNSClient(common(aws.endpoints.sns));
      }),
    dms: () =>
      lazy('dms', async () => {
        const { DatabaseMigrationServiceClient } = await import('@aws-sdk/client-database-migration-service');
        return new DatabaseMigrationServiceClient(common(aws.endpoints.dms));
      }),
    pg: async (url, options = {}) => {
      const { default: pg } = await import('pg');
      const target = new URL(url);
      if (options.database) target.pathname = `/${encodeURIComponent(options.database)}`;
      const client = new pg.Client({
        connectionString: target.toString(),
        application_name: 'engify-migrate',
        connectionTimeoutMillis: 10_000,
        ...(options.replication ? { replication: 'database' } : {}),
      });
      await client.connect();
      return client;
    },
    close: async () => {
      for (const client of opened.splice(0)) client.destroy();
      cache.clear();
    },
  };
}
