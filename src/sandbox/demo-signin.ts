import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { LOCAL_CREDENTIALS } from './stack.js';

// The demo's proof that passwords survived: a real InitiateAuth (USER_PASSWORD_AUTH) against the
// migrated pool's app client, as the app would send it after the move.

export interface SignInResult {
  email: string;
  ok: boolean;
  /** What answered: "tokens issued" or the error's name (never the password). */
  detail: string;
}

export async function signIn(
  endpoint: string,
  region: string,
  clientId: string,
  email: string,
  password: string,
): Promise<SignInResult> {
  const client = new CognitoIdentityProviderClient({
    region,
    endpoint,
    credentials: { ...LOCAL_CREDENTIALS },
    maxAttempts: 2,
  });
  try {
    const out = await client.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    const ok = typeof out.AuthenticationResult?.IdToken === 'string';
    return { email, ok, detail: ok ? 'tokens issued' : `challenge ${out.ChallengeName ?? 'none'}` };
  } catch (error) {
    return { email, ok: false, detail: error instanceof Error ? error.name : 'error' };
  } finally {
    client.destroy();
  }
}

/** The ID token of a sign-in (for calling the API through the gateway), or undefined. */
export async function signInToken(
  endpoint: string,
  region: string,
  clientId: string,
  email: string,
  password: string,
): Promise<string | undefined> {
  const client = new CognitoIdentityProviderClient({
    region,
    endpoint,
    credentials: { ...LOCAL_CREDENTIALS },
    maxAttempts: 2,
  });
  try {
    const out = await client.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    return out.AuthenticationResult?.IdToken;
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}
