import { type ApiGatewayStandIn, startApiGatewayApi } from './apigateway-api.js';
import { type IamStandIn, startIamApi } from './iam-api.js';
import { type LambdaStandIn, startLambdaApi } from './lambda-api.js';
import type { SecretsStandIn } from './secrets-store.js';

// The three stand-ins a backend move needs, wired to each other as AWS wires the real services: Lambda
// asks IAM whether the execution role trusts lambda.amazonaws.com and may read the secret it fetches
// through the Parameters and Secrets extension; API Gateway invokes Lambda only with a resource-policy
// statement for it, and fetches the Cognito JWKS from cognito-local (which signs tokens with the AWS
// issuer, see services-child.ts).

export interface BackendStandIns {
  lambda: LambdaStandIn;
  apigateway: ApiGatewayStandIn;
  iam: IamStandIn;
  close(): Promise<void>;
}

export async function startBackendStandIns(options: {
  region: string;
  /** cognito-local's URL: the JWKS of pool P is at <url>/P/.well-known/jwks.json. */
  cognitoUrl: string;
  secrets?: SecretsStandIn;
  settlePolls?: number;
}): Promise<BackendStandIns> {
  const iam = await startIamApi();
  const lambda = await startLambdaApi({
    region: options.region,
    settlePolls: options.settlePolls ?? 1,
    roleUsable: (arn) => iam.trustsLambda(arn),
    secret: async (roleArn, secretId) => {
      const record = [...(options.secrets?.secrets.values() ?? [])].find(
        (s) => s.arn === secretId || s.name === secretId,
      );
      if (!record || record.deletedAt !== undefined)
        return {
          status: 400,
          body: {
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          },
        };
      if (!iam.allows(roleArn, 'secretsmanager:GetSecretValue', record.arn))
        return {
          status: 400,
          body: {
            __type: 'AccessDeniedException',
            message: `${roleArn} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${record.arn}`,
          },
        };
      return {
        status: 200,
        body: {
          ARN: record.arn,
          Name: record.name,
          SecretString: record.value,
          VersionId: record.versionId,
          VersionStages: ['AWSCURRENT'],
        },
      };
    },
  });
  const apigateway = await startApiGatewayApi({
    region: options.region,
    jwksUrl: (issuer) => `${options.cognitoUrl}/${issuer.split('/').at(-1)}/.well-known/jwks.json`,
    invoke: (arn, event) => lambda.invoke(arn, event),
    canInvoke: (arn, sourceArn) => lambda.canInvoke(arn, 'apigateway.amazonaws.com', sourceArn),
  });
  return {
    lambda,
    apigateway,
    iam,
    close: async () => {
      await apigateway.close();
      await lambda.close();
      await iam.close();
    },
  };
}
