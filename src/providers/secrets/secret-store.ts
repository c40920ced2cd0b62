import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';

// The two places a secret variable can go instead of a plain Amplify env var: Secrets Manager (one
// secret per variable, up to 64 KB) or SSM Parameter Store SecureString (4 KB Standard, 8 KB Advanced).
// Ownership is marked with tags on create so a rerun can tell our secret from someone else's.

export type SecretStoreKind = 'secrets-manager' | 'ssm';

export interface SecretStore {
  kind: SecretStoreKind;
  maxBytes: number;
  /** exists, and whether it carries our ownership tag (always false for SSM, which we do not tag-read). */
  describe(name: string): Promise<{ exists: boolean; tagged: boolean; arn?: string }>;
  /** Creates a new secret; fails with the provider's "already exists" error when it exists. */
  create(name: string, value: string, tags: Record<string, string>): Promise<void>;
  put(name: string, value: string): Promise<void>;
  get(name: string): Promise<string | undefined>;
  /** Deletes now (no recovery window: a rerun after rollback must be able to reuse the name). */
  delete(name: string): Promise<void>;
}

const isNotFound = (e: unknown) =>
  e instanceof Error && (e.name === 'ResourceNotFoundException' || e.name === 'ParameterNotFound');

export const OWNER_TAG = 'engify-migrate:project';

export async function secretsManagerStore(
  client: SecretsManagerClient,
  project: string,
): Promise<SecretStore> {
  const sm = await import('@aws-sdk/client-secrets-manager');
  return {
    kind: 'secrets-manager',
    maxBytes: 65_536,
    async describe(name) {
      try {
        const d = await client.send(new sm.DescribeSecretCommand({ SecretId: name }));
        return {
          exists: true,
          tagged: (d.Tags ?? []).some((t) => t.Key === OWNER_TAG && t.Value === project),
          ...(d.ARN ? { arn: d.ARN } : {}),
        };
      } catch (e) {
        if (isNotFound(e)) return { exists: false, tagged: false };
        throw e;
      }
    },
    async create(name, value, tags) {
      await client.send(
        new sm.CreateSecretCommand({
          Name: name,
          SecretString: value,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    },
    async put(name, value) {
      await client.send(new sm.PutSecretValueCommand({ SecretId: name, SecretString: value }));
    },
    async get(name) {
      try {
        return (await client.send(new sm.GetSecretValueCommand({ SecretId: name }))).SecretString;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async delete(name) {
      try {
        await client.send(new sm.DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
}

export async function ssmStore(client: SSMClient): Promise<SecretStore> {
  const ssm = await import('@aws-sdk/client-ssm');
  const tier = (value: string) =>
    Buffer.byteLength(value) > 4096 ? ('Advanced' as const) : ('Standard' as const);
  return {
    kind: 'ssm',
    maxBytes: 8192,
    async describe(name) {
      try {
        await client.send(new ssm.GetParameterCommand({ Name: name }));
        return { exists: true, tagged: false };
      } catch (e) {
        if (isNotFound(e)) return { exists: false, tagged: false };
        throw e;
      }
    },
    async create(name, value, tags) {
      await client.send(
        new ssm.PutParameterCommand({
          Name: name,
          Value: value,
          Type: 'SecureString',
          Tier: tier(value),
          Overwrite: false,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    },
    async put(name, value) {
      await client.send(
        new ssm.PutParameterCommand({
          Name: name,
          Value: value,
          Type: 'SecureString',
          Tier: tier(value),
          Overwrite: true,
        }),
      );
    },
    async get(name) {
      try {
        return (await client.send(new ssm.GetParameterCommand({ Name: name, WithDecryption: true })))
          .Parameter?.Value;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async delete(name) {
      try {
        await client.send(new ssm.DeleteParameterCommand({ Name: name }));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
}
