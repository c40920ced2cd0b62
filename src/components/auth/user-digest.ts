import { createHash } from 'node:crypto';
import type { CognitoUserDraft } from './user-mapping.js';

/**
 * A stable digest of everything auth.users writes for one user (attributes, enabled, linked identities,
 * password). Recorded in the id map when the user is written, so a plan can tell an unchanged user
 * (noop) from one whose source row changed since (update) without asking Cognito about every user.
 */
export function userDigest(user: CognitoUserDraft): string {
  const attributes = [...user.attributes]
    .map((a): [string, string] => [a.Name ?? '', a.Value ?? ''])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const identities = user.identities.map((i) => `${i.provider}:${i.providerUserId}`).sort();
  return createHash('sha256')
    .update(JSON.stringify({ attributes, enabled: user.enabled, identities, password: user.password }))
    .digest('base64url');
}
