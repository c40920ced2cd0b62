import { randomBytes, randomUUID } from 'node:crypto';
import { type RunningStandIn, type StandInReply, startStandIn } from './http-stand-in.js';

// Stand-in for AWS Secrets Manager and SSM Parameter Store, the two secret stores the hosting steps
// write to. Both speak the JSON 1.1 protocol: POST / with X-Amz-Target "secretsmanager.<Op>" or
// "AmazonSSM.<Op>", errors as 400 { __type, message }. Operations and limits from the API references:
// Secrets Manager CreateSecret / PutSecretValue / GetSecretValue / DescribeSecret / DeleteSecret
// (SecretString up to 65,536 bytes; a deleted secret's name is blocked until its recovery window ends
// unless ForceDeleteWithoutRecovery); SSM PutParameter / GetParameter / DeleteParameter (Standard tier
// values up to 4 KB, Advanced up to 8 KB; Overwrite and Tags cannot be combined).

export const SECRET_STRING_MAX = 65_536;
export const SSM_STANDARD_MAX = 4096;
export const SSM_ADVANCED_MAX = 8192;

export interface SecretRecord {
  arn: string;
  name: string;
  value?: string;
  versionId: string;
  tags: { Key: string; Value: string }[];
  description?: string;
  deletedAt?: number;
  created: number;
}

interface ParameterRecord {
  name: string;
  value: string;
  type: string;
  tier: string;
  version: number;
  modified: number;
}

export interface SecretsStandIn extends RunningStandIn {
  secrets: Map<string, SecretRecord>;
  parameters: Map<string, ParameterRecord>;
}

const error = (service: string, name: string, message: string, status = 400): StandInReply => ({
  status,
  body: { __type: `com.amazonaws.${service}#${name}`, message },
});

export async function startSecretsStore(options: { region?: string } = {}): Promise<SecretsStandIn> {
  const region = options.region ?? 'us-east-1';
  const secrets = new Map<string, SecretRecord>();
  const parameters = new Map<string, ParameterRecord>();

  const findSecret = (id: unknown) =>
    typeof id === 'string' ? (secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id)) : undefined;

  const running = await startStandIn((req) => {
    const target = req.headers['x-amz-target'] ?? '';
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return error('common', 'MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    const input = (req.body ? JSON.parse(req.body) : {}) as Record<string, unknown>;
    const [service, op] = target.split('.');

    if (service === 'secretsmanager') {
      const sm = (name: string, message: string) => error('secretsmanager', name, message);
      if (op === 'CreateSecret') {
        const name = input.Name as string;
        const existing = secrets.get(name);
        if (existing?.deletedAt !== undefined)
          return sm(
            'InvalidRequestException',
            `You can't create this secret because a secret with this name is already scheduled for deletion.`,
          );
        if (existing)
          return sm(
            'ResourceExistsException',
            `The operation failed because the secret ${name} already exists.`,
          );
        const value = input.SecretString as string | undefined;
        if (value !== undefined && Buffer.byteLength(value) > SECRET_STRING_MAX)
          return sm('ValidationException', 'SecretString exceeds the maximum length of 65536 bytes.');
        const record: SecretRecord = {
          arn: `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-${randomBytes(3).toString('hex')}`,
          name,
          value,
          versionId: randomUUID(),
          tags: (input.Tags as SecretRecord['tags']) ?? [],
          description: input.Description as string | undefined,
          created: Date.now() / 1000,
        };
        secrets.set(name, record);
        return { status: 200, body: { ARN: record.arn, Name: name, VersionId: record.versionId } };
      }
      const secret = findSecret(input.SecretId);
      if (!secret || (secret.deletedAt !== undefined && op !== 'DescribeSecret'))
        return sm('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      if (op === 'PutSecretValue') {
        const value = input.SecretString as string;
        if (Buffer.byteLength(value) > SECRET_STRING_MAX)
          return sm('ValidationException', 'SecretString exceeds the maximum length of 65536 bytes.');
        secret.value = value;
        secret.versionId = randomUUID();
        return {
          status: 200,
          body: {
            ARN: secret.arn,
            Name: secret.name,
            VersionId: secret.versionId,
            VersionStages: ['AWSCURRENT'],
          },
        };
      }
      if (op === 'GetSecretValue') {
        if (secret.value === undefined)
          return sm(
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
          );
        return {
          status: 200,
          body: {
            ARN: secret.arn,
            Name: secret.name,
            VersionId: secret.versionId,
            SecretString: secret.value,
            VersionStages: ['AWSCURRENT'],
            CreatedDate: secret.created,
          },
        };
      }
      if (op === 'DescribeSecret') {
        return {
          status: 200,
          body: {
            ARN: secret.arn,
            Name: secret.name,
            Description: secret.description,
            Tags: secret.tags,
            CreatedDate: secret.created,
            ...(secret.deletedAt !== undefined ? { DeletedDate: secret.deletedAt } : {}),
          },
        };
      }
      if (op === 'DeleteSecret') {
        if (input.ForceDeleteWithoutRecovery === true) secrets.delete(secret.name);
        else secret.deletedAt = Date.now() / 1000;
        return { status: 200, body: { ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 } };
      }
      return sm('InvalidAction', `Unsupported operation ${op}`);
    }

    if (service === 'AmazonSSM') {
      const ssm = (name: string, message: string) => error('ssm', name, message);
      const name = input.Name as string;
      if (op === 'PutParameter') {
        const value = input.Value as string;
        const tier = (input.Tier as string | undefined) ?? 'Standard';
        const max = tier === 'Advanced' ? SSM_ADVANCED_MAX : SSM_STANDARD_MAX;
        if (Buffer.byteLength(value) > max)
          return ssm(
            'ValidationException',
            `${tier} tier parameters support a maximum parameter value of ${max} characters.`,
          );
        if (input.Overwrite === true && input.Tags !== undefined)
          return ssm('ValidationException', "Invalid request: tags and overwrite can't be used together.");
        const existing = parameters.get(name);
        if (existing && input.Overwrite !== true)
          return ssm('ParameterAlreadyExists', 'The parameter already exists.');
        const record: ParameterRecord = {
          name,
          value,
          type: (input.Type as string | undefined) ?? existing?.type ?? 'String',
          tier,
          version: (existing?.version ?? 0) + 1,
          modified: Date.now() / 1000,
        };
        parameters.set(name, record);
        return { status: 200, body: { Version: record.version, Tier: tier } };
      }
      const found = parameters.get(name);
      if (!found) return ssm('ParameterNotFound', `Parameter ${name} not found.`);
      if (op === 'GetParameter') {
        const hidden = found.type === 'SecureString' && input.WithDecryption !== true;
        return {
          status: 200,
          body: {
            Parameter: {
              Name: found.name,
              Type: found.type,
              Value: hidden ? Buffer.from(`kms:${found.value}`).toString('base64') : found.value,
              Version: found.version,
              LastModifiedDate: found.modified,
              ARN: `arn:aws:ssm:${region}:123456789012:parameter${found.name.startsWith('/') ? '' : '/'}${found.name}`,
              DataType: 'text',
            },
          },
        };
      }
      if (op === 'DeleteParameter') {
        parameters.delete(name);
        return { status: 200, body: {} };
      }
      return ssm('InvalidAction', `Unsupported operation ${op}`);
    }

    return error('common', 'UnknownOperationException', `Unknown target ${target}`);
  });

  return { ...running, secrets, parameters };
}
