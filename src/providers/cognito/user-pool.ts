import type {
  CognitoIdentityProviderClient,
  ExplicitAuthFlowsType,
  UpdateUserPoolCommandInput,
  UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { CognitoConfig } from '../../config/schema.js';

// The Cognito user pool and app client the migrated users land in. Email is the username,
// case-insensitive (Supabase Auth treats emails case-insensitively too), and the Supabase user id is
// kept in an immutable custom attribute so the app's foreign keys can be mapped.

export const SUPABASE_ID_ATTRIBUTE = 'supabase_id';
export const REQUIRED_AUTH_FLOWS = [
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
] as const;

export interface ObservedPool {
  id: string;
  name: string;
  usernameAttributes: string[];
  caseSensitive: boolean | undefined;
  customAttributes: string[];
  passwordPolicy: Record<string, number | boolean | undefined>;
}

export interface ObservedClient {
  id: string;
  name: string;
  authFlows: string[];
}

export function userPoolAdapter(client: CognitoIdentityProviderClient) {
  const sdk = () => import('@aws-sdk/client-cognito-identity-provider');

  return {
    async findPool(name: string): Promise<ObservedPool | undefined> {
      const { ListUserPoolsCommand, DescribeUserPoolCommand } = await sdk();
      let token: string | undefined;
      do {
        const page = await client.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: token }));
        const found = page.UserPools?.find((p) => p.Name === name);
        if (found?.Id) {
          const described = await client.send(new DescribeUserPoolCommand({ UserPoolId: found.Id }));
          return observePool(described.UserPool ?? { Id: found.Id, Name: name });
        }
        token = page.NextToken;
      } while (token);
      return undefined;
    },

    async describePool(id: string): Promise<ObservedPool | undefined> {
      const { DescribeUserPoolCommand } = await sdk();
      try {
        const described = await client.send(new DescribeUserPoolCommand({ UserPoolId: id }));
        return described.UserPool ? observePool(described.UserPool) : undefined;
      } catch (error) {
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },

    async createPool(config: CognitoConfig, project: string): Promise<string> {
      const { CreateUserPoolCommand } = await sdk();
      const p = config.passwordPolicy;
      const out = await client.send(
        new CreateUserPoolCommand({
          PoolName: config.userPoolName,
          UsernameAttributes: ['email'],
          UsernameConfiguration: { CaseSensitive: false },
          AutoVerifiedAttributes: ['email'],
          Schema: [
            {
              Name: SUPABASE_ID_ATTRIBUTE,
              AttributeDataType: 'String',
              Mutable: false,
              StringAttributeConstraints: { MinLength: '1', MaxLength: '64' },
            },
          ],
          Policies: {
            PasswordPolicy: {
              MinimumLength: p.minimumLength,
              RequireUppercase: p.requireUppercase,
              RequireLowercase: p.requireLowercase,
              RequireNumbers: p.requireNumbers,
              RequireSymbols: p.requireSymbols,
            },
          },
          UserPoolTags: { 'engify-migrate:project': project },
        }),
      );
      if (!out.UserPool?.Id) throw new Error('CreateUserPool returned no pool id');
      return out.UserPool.Id;
    },

    /** Sets the configured password policy; every other setting of the pool stays as it is. */
    async updatePasswordPolicy(poolId: string, config: CognitoConfig): Promise<void> {
      const p = config.passwordPolicy;
      await updatePoolKeepingTheRest(client, poolId, (pool) => ({
        Policies: {
          ...pool.Policies,
          PasswordPolicy: {
            ...pool.Policies?.PasswordPolicy,
            MinimumLength: p.minimumLength,
            RequireUppercase: p.requireUppercase,
            RequireLowercase: p.requireLowercase,
            RequireNumbers: p.requireNumbers,
            RequireSymbols: p.requireSymbols,
          },
        },
      }));
    },

    async deletePool(id: string): Promise<void> {
      const { DeleteUserPoolCommand } = await sdk();
      try {
        await client.send(new DeleteUserPoolCommand({ UserPoolId: id }));
      } catch (error) {
        if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
      }
    },

    async findClient(poolId: string, name: string): Promise<ObservedClient | undefined> {
      const { ListUserPoolClientsCommand, DescribeUserPoolClientCommand } = await sdk();
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 60, NextToken: token }),
        );
        const found = page.UserPoolClients?.find((c) => c.ClientName === name);
        if (found?.ClientId) {
          const d = await client.send(
            new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: found.ClientId }),
          );
          return { id: found.ClientId, name, authFlows: d.UserPoolClient?.ExplicitAuthFlows ?? [] };
        }
        token = page.NextToken;
      } while (token);
      return undefined;
    },

    async createClient(poolId: string, name: string): Promise<string> {
      const { CreateUserPoolClientCommand } = await sdk();
      const out = await client.send(
        new CreateUserPoolClientCommand({
          UserPoolId: poolId,
          ClientName: name,
          GenerateSecret: false,
          ExplicitAuthFlows: [...REQUIRED_AUTH_FLOWS],
          PreventUserExistenceErrors: 'ENABLED',
        }),
      );
      if (!out.UserPoolClient?.ClientId) throw new Error('CreateUserPoolClient returned no client id');
      return out.UserPoolClient.ClientId;
    },

    async updateClientFlows(poolId: string, clientId: string, existing: string[]): Promise<void> {
      const { UpdateUserPoolClientCommand } = await sdk();
      await client.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: poolId,
          ClientId: clientId,
          ExplicitAuthFlows: [...new Set([...existing, ...REQUIRED_AUTH_FLOWS])] as ExplicitAuthFlowsType[],
        }),
      );
    },

    async deleteClient(poolId: string, clientId: string): Promise<void> {
      const { DeleteUserPoolClientCommand } = await sdk();
      try {
        await client.send(new DeleteUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }));
      } catch (error) {
        if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
      }
    },
  };
}

export type UserPoolAdapter = ReturnType<typeof userPoolAdapter>;

/** How a call is sent: directly, or through a caller's rate limiter and retries (CognitoUserWriter.call). */
export type PoolCall = <T>(make: () => Promise<T>, what: string) => Promise<T>;

/**
 * UpdateUserPool resets every setting it is not given to its default (a Lambda trigger detached, MFA
 * and email configuration reset, deletion protection off), so every update of a pool goes through here:
 * DescribeUserPool, then the pool's updatable settings sent back as they are, with only what `change`
 * returns replaced. `change` returning undefined means the pool already has it: nothing is sent.
 */
export async function updatePoolKeepingTheRest(
  client: CognitoIdentityProviderClient,
  poolId: string,
  change: (pool: UserPoolType) => Partial<Omit<UpdateUserPoolCommandInput, 'UserPoolId'>> | undefined,
  call: PoolCall = (make) => make(),
): Promise<boolean> {
  const { DescribeUserPoolCommand, UpdateUserPoolCommand } = await import(
    '@aws-sdk/client-cognito-identity-provider'
  );
  const described = await call(
    () => client.send(new DescribeUserPoolCommand({ UserPoolId: poolId })),
    'DescribeUserPool',
  );
  const pool = described.UserPool;
  if (!pool) throw new Error(`DescribeUserPool returned no pool for ${poolId}`);
  const update = change(pool);
  if (!update) return false;
  await call(
    () => client.send(new UpdateUserPoolCommand({ ...keptSettings(pool), ...update, UserPoolId: poolId })),
    'UpdateUserPool',
  );
  return true;
}

/**
 * The settings of a described pool that UpdateUserPool takes, as they are. Left out: the three
 * messages the API reference marks "no longer used" (VerificationMessageTemplate carries them), and
 * DcrConfiguration, which the reference says an omitted parameter keeps.
 */
export function keptSettings(pool: UserPoolType): Omit<UpdateUserPoolCommandInput, 'UserPoolId'> {
  const { UnusedAccountValidityDays, ...adminCreateUser } = pool.AdminCreateUserConfig ?? {};
  const passwordPolicy = pool.Policies?.PasswordPolicy;
  // Cognito refuses an update that carries the deprecated UnusedAccountValidityDays ("Please use
  // TemporaryPasswordValidityDays in PasswordPolicy instead"), though DescribeUserPool still returns it:
  // its value lives on as TemporaryPasswordValidityDays.
  const policies =
    passwordPolicy &&
    UnusedAccountValidityDays !== undefined &&
    passwordPolicy.TemporaryPasswordValidityDays === undefined
      ? {
          ...pool.Policies,
          PasswordPolicy: { ...passwordPolicy, TemporaryPasswordValidityDays: UnusedAccountValidityDays },
        }
      : pool.Policies;
  return {
    PoolName: pool.Name,
    Policies: policies,
    DeletionProtection: pool.DeletionProtection,
    LambdaConfig: pool.LambdaConfig,
    AutoVerifiedAttributes: pool.AutoVerifiedAttributes,
    VerificationMessageTemplate: pool.VerificationMessageTemplate,
    SmsAuthenticationMessage: pool.SmsAuthenticationMessage,
    UserAttributeUpdateSettings: pool.UserAttributeUpdateSettings,
    MfaConfiguration: pool.MfaConfiguration,
    DeviceConfiguration: pool.DeviceConfiguration,
    EmailConfiguration: pool.EmailConfiguration,
    SmsConfiguration: pool.SmsConfiguration,
    UserPoolTags: pool.UserPoolTags,
    AdminCreateUserConfig: pool.AdminCreateUserConfig ? adminCreateUser : undefined,
    UserPoolAddOns: pool.UserPoolAddOns,
    AccountRecoverySetting: pool.AccountRecoverySetting,
    UserPoolTier: pool.UserPoolTier,
    KeyConfiguration: pool.KeyConfiguration,
    IssuerConfiguration: pool.IssuerConfiguration,
    AcrConfiguration: pool.AcrConfiguration,
  };
}

function observePool(pool: UserPoolType): ObservedPool {
  const policy = pool.Policies?.PasswordPolicy;
  return {
    id: pool.Id ?? '',
    name: pool.Name ?? '',
    usernameAttributes: pool.UsernameAttributes ?? [],
    caseSensitive: pool.UsernameConfiguration?.CaseSensitive,
    customAttributes: (pool.SchemaAttributes ?? [])
      .map((a) => a.Name ?? '')
      .filter((n) => n.startsWith('custom:')),
    passwordPolicy: {
      minimumLength: policy?.MinimumLength,
      requireUppercase: policy?.RequireUppercase,
      requireLowercase: policy?.RequireLowercase,
      requireNumbers: policy?.RequireNumbers,
      requireSymbols: policy?.RequireSymbols,
    },
  };
}

/** Settings of an existing pool that differ from the config, split by whether they can be changed. */
export function poolDiff(
  observed: ObservedPool,
  config: CognitoConfig,
): { immutable: string[]; mutable: string[] } {
  const immutable: string[] = [];
  const mutable: string[] = [];
  if (!observed.usernameAttributes.includes('email')) {
    immutable.push(`username attributes are [${observed.usernameAttributes.join(', ')}], expected email`);
  }
  if (observed.caseSensitive === true)
    immutable.push('usernames are case-sensitive, expected case-insensitive');
  if (!observed.customAttributes.includes(`custom:${SUPABASE_ID_ATTRIBUTE}`)) {
    immutable.push(`custom attribute custom:${SUPABASE_ID_ATTRIBUTE} is missing`);
  }
  const p = config.passwordPolicy;
  const want: Record<string, number | boolean> = {
    minimumLength: p.minimumLength,
    requireUppercase: p.requireUppercase,
    requireLowercase: p.requireLowercase,
    requireNumbers: p.requireNumbers,
    requireSymbols: p.requireSymbols,
  };
  for (const [k, v] of Object.entries(want)) {
    const have = observed.passwordPolicy[k];
    if (have !== undefined && have !== v)
      mutable.push(`password policy ${k} is ${String(have)}, expected ${String(v)}`);
  }
  return { immutable, mutable };
}
