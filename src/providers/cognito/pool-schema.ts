import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PoolLimits } from './user-draft.js';
import type { CognitoUserWriter } from './user-writer.js';

// One reading of the pool schema for auth.users and the sync passes: the two must agree, so that a pass
// maps users exactly as the copy did.

const STANDARD = new Set(
  'sub name given_name family_name middle_name nickname preferred_username profile picture website email email_verified gender birthdate zoneinfo locale phone_number phone_number_verified address updated_at identities'.split(
    ' ',
  ),
);

/** The pool's attribute names and string length limits, so over-long values are reported before a call fails. */
export async function poolSchema(
  writer: CognitoUserWriter,
  client: CognitoIdentityProviderClient,
  poolId: string,
): Promise<PoolLimits> {
  const { DescribeUserPoolCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  const out = await writer.call(
    () => client.send(new DescribeUserPoolCommand({ UserPoolId: poolId })),
    'DescribeUserPool',
  );
  const schema = out.UserPool?.SchemaAttributes ?? [];
  if (schema.length === 0) return {};
  const known = new Set<string>();
  const maxLength: Record<string, number> = {};
  for (const a of schema) {
    if (!a.Name) continue;
    // DescribeUserPool lists custom attributes with their "custom:" prefix already; tolerate both forms.
    const name = a.Name.startsWith('custom:') || STANDARD.has(a.Name) ? a.Name : `custom:${a.Name}`;
    known.add(name);
    const max = Number(a.StringAttributeConstraints?.MaxLength);
    if (Number.isFinite(max) && max > 0) maxLength[name] = max;
  }
  return { knownAttributes: known, maxLength };
}
