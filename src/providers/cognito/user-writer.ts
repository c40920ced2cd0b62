import { randomBytes } from 'node:crypto';
import type {
  CognitoIdentityProviderClient,
  AttributeType as SdkAttribute,
} from '@aws-sdk/client-cognito-identity-provider';
import { EngifyError, isTransient, toEngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { withRetry } from '../../core/retry.js';
import type { RateLimiter } from './rate-limiter.js';
import { type AttributeType, attributeRecord, type CognitoUserDraft } from './user-draft.js';

// Admin calls on a Cognito pool for the users step, every one through the shared rate limiter and
// retried with jittered backoff; throttling slows the limiter down rather than surfacing as an error.
// Upserts are keyed by the email (the pool's username attribute): an existing user is updated, never
// created twice, and a create that races another run is turned into an update.

export interface ExistingUser {
  username: string;
  sub: string | undefined;
  attributes: Record<string, string>;
  enabled: boolean;
  status: string | undefined;
}

export interface UpsertResult {
  action: 'created' | 'updated' | 'unchanged';
  username: string;
  sub: string | undefined;
}

const THROTTLE = new Set(['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException']);
// Attributes Cognito manages itself or that cannot be written by AdminUpdateUserAttributes.
const READ_ONLY = new Set(['sub', 'cognito:user_status', 'identities']);

export class CognitoUserWriter {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly poolId: string,
    private readonly limiter: RateLimiter,
    private readonly signal?: AbortSignal,
  ) {}

  /** One rate-limited, retried call. */
  async call<T>(make: () => Promise<T>, what: string): Promise<T> {
    try {
      return await withRetry(
        async () => {
          await this.limiter.take(this.signal);
          const out = await make();
          this.limiter.onSuccess();
          return out;
        },
        {
          attempts: 10,
          baseMs: 200,
          capMs: 20_000,
          signal: this.signal,
          retryable: (e: unknown) => THROTTLE.has(nameOf(e)) || isTransient(e),
          onRetry: (e: unknown) => {
            if (THROTTLE.has(nameOf(e))) this.limiter.onThrottle();
          },
        },
      );
    } catch (error) {
      if (error instanceof EngifyError) throw error;
      throw toEngifyError(error, {
        code: 'AUTH_COGNITO_CALL',
        kind: isTransient(error) || THROTTLE.has(nameOf(error)) ? 'transient' : 'system',
        message: messages.auth.cognitoCallFailed(what, nameOf(error)),
        hint: messages.auth.cognitoCallFailedHint,
      });
    }
  }

  async get(email: string): Promise<ExistingUser | undefined> {
    const { AdminGetUserCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    try {
      const out = await this.call(
        () => this.client.send(new AdminGetUserCommand({ UserPoolId: this.poolId, Username: email })),
        'AdminGetUser',
      );
      const attributes = attributeRecord((out.UserAttributes ?? []) as AttributeType[]);
      return {
        username: out.Username ?? email,
        sub: attributes.sub,
        attributes,
        enabled: out.Enabled !== false,
        status: out.UserStatus,
      };
    } catch (error) {
      if (nameOf(asCause(error)) === 'UserNotFoundException') return undefined;
      throw error;
    }
  }

  /**
   * Creates the user with mail suppressed and a random permanent password nobody knows: the user is
   * CONFIRMED and signs in after "forgot password" (a FORCE_CHANGE_PASSWORD user could not reset).
   */
  async create(draft: CognitoUserDraft): Promise<UpsertResult> {
    const sdk = await import('@aws-sdk/client-cognito-identity-provider');
    let created: { username: string; sub: string | undefined };
    try {
      const out = await this.call(
        () =>
          this.client.send(
            new sdk.AdminCreateUserCommand({
              UserPoolId: this.poolId,
              Username: draft.email,
              MessageAction: 'SUPPRESS',
              UserAttributes: draft.attributes as SdkAttribute[],
            }),
          ),
        'AdminCreateUser',
      );
      const attrs = attributeRecord((out.User?.Attributes ?? []) as AttributeType[]);
      created = { username: out.User?.Username ?? draft.email, sub: attrs.sub };
    } catch (error) {
      if (
        nameOf(error) === 'UsernameExistsException' ||
        nameOf(asCause(error)) === 'UsernameExistsException'
      ) {
        return this.upsert(draft);
      }
      throw error;
    }
    await this.call(
      () =>
        this.client.send(
          new sdk.AdminSetUserPasswordCommand({
            UserPoolId: this.poolId,
            Username: created.username,
            Password: unguessablePassword(),
            Permanent: true,
          }),
        ),
      'AdminSetUserPassword',
    );
    if (!draft.enabled) await this.setEnabled(created.username, false);
    return { action: 'created', ...created };
  }

  /** Brings an existing user's attributes and enabled flag in line with the draft; never touches the password. */
  async update(existing: ExistingUser, draft: CognitoUserDraft): Promise<UpsertResult> {
    const { AdminUpdateUserAttributesCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const changed = draft.attributes.filter(
      (a) => !READ_ONLY.has(a.Name) && existing.attributes[a.Name] !== a.Value,
    );
    if (changed.length > 0) {
      await this.call(
        () =>
          this.client.send(
            new AdminUpdateUserAttributesCommand({
              UserPoolId: this.poolId,
              Username: existing.username,
              UserAttributes: changed as SdkAttribute[],
            }),
          ),
        'AdminUpdateUserAttributes',
      );
    }
    if (existing.enabled !== draft.enabled) await this.setEnabled(existing.username, draft.enabled);
    const action = changed.length > 0 || existing.enabled !== draft.enabled ? 'updated' : 'unchanged';
    return { action, username: existing.username, sub: existing.sub };
  }

  async upsert(draft: CognitoUserDraft): Promise<UpsertResult> {
    const existing = await this.get(draft.email);
    return existing ? this.update(existing, draft) : this.create(draft);
  }

  async setEnabled(username: string, enabled: boolean): Promise<void> {
    const sdk = await import('@aws-sdk/client-cognito-identity-provider');
    await this.call(
      () =>
        this.client.send(
          enabled
            ? new sdk.AdminEnableUserCommand({ UserPoolId: this.poolId, Username: username })
            : new sdk.AdminDisableUserCommand({ UserPoolId: this.poolId, Username: username }),
        ),
      enabled ? 'AdminEnableUser' : 'AdminDisableUser',
    );
  }

  async delete(username: string): Promise<boolean> {
    const { AdminDeleteUserCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    try {
      await this.call(
        () => this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.poolId, Username: username })),
        'AdminDeleteUser',
      );
      return true;
    } catch (error) {
      if (nameOf(asCause(error)) === 'UserNotFoundException' || nameOf(error) === 'UserNotFoundException')
        return false;
      throw error;
    }
  }

  /** Identity provider names configured on the pool (Google, Facebook, SignInWithApple, OIDC names...). */
  async providers(): Promise<Set<string>> {
    const { ListIdentityProvidersCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const out = await this.call(
        () =>
          this.client.send(
            new ListIdentityProvidersCommand({ UserPoolId: this.poolId, MaxResults: 60, NextToken: token }),
          ),
        'ListIdentityProviders',
      );
      for (const p of out.Providers ?? []) if (p.ProviderName) names.add(p.ProviderName);
      token = out.NextToken;
    } while (token);
    return names;
  }

  /** Links an external identity to the migrated user, so signing in with that provider lands on the same user. */
  async link(username: string, providerName: string, providerUserId: string): Promise<'linked' | 'already'> {
    const { AdminLinkProviderForUserCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    try {
      await this.call(
        () =>
          this.client.send(
            new AdminLinkProviderForUserCommand({
              UserPoolId: this.poolId,
              DestinationUser: { ProviderName: 'Cognito', ProviderAttributeValue: username },
              SourceUser: {
                ProviderName: providerName,
                ProviderAttributeName: 'Cognito_Subject',
                ProviderAttributeValue: providerUserId,
              },
            }),
          ),
        'AdminLinkProviderForUser',
      );
      return 'linked';
    } catch (error) {
      // Linking the same identity twice answers "already linked": a rerun, not a failure.
      const e = asCause(error);
      if (nameOf(e) === 'InvalidParameterException' && /already|linked/i.test(String((e as Error).message)))
        return 'already';
      throw error;
    }
  }
}

export function nameOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const e = error as { name?: unknown; code?: unknown };
  return typeof e.name === 'string' ? e.name : typeof e.code === 'string' ? e.code : '';
}

function asCause(error: unknown): unknown {
  return error instanceof EngifyError && error.cause !== undefined ? error.cause : error;
}

export function unguessablePassword(): string {
  // Meets any pool policy (upper, lower, digit, symbol, length) and is never stored or logged.
  return `Aa1!${randomBytes(24).toString('base64url')}`;
}
