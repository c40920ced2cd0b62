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

/** One USER_PASSWORD_AUTH sign-in: its ID token, or why there is none. */
async function initiate(
  endpoint: string,
  region: string,
  clientId: string,
  email: string,
  password: string,
): Promise<{ token?: string; why: string }> {
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
    const token = out.AuthenticationResult?.IdToken;
    return typeof token === 'string'
      ? { token, why: 'tokens issued' }
      : { why: `challenge ${out.ChallengeName ?? 'none'}` };
  } catch (error) {
    return { why: error instanceof Error ? error.name : 'error' };
  } finally {
    client.destroy();
  }
}

export async function signIn(
  endpoint: string,
  region: string,
  clientId: string,
  email: string,
  password: string,
): Promise<SignInResult> {
  const r = await initiate(endpoint, region, clientId, email, password);
  return { email, ok: r.token !== undefined, detail: r.why };
}

/** The ID token of a sign-in (for calling the API through the gateway), or undefined. */
export async function signInToken(
  endpoint: string,
  region: string,
  clientId: string,
  email: string,
  password: string,
): Promise<string | undefined> {
  return (await initiate(endpoint, region, clientId, email, password)).token;
}
