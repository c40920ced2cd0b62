// A user as Cognito takes it (what the auth component maps a source user into), and what the pool's
// schema allows.

export interface AttributeType {
  Name: string;
  Value: string;
}

export type PasswordInfo =
  | { kind: 'bcrypt'; hash: string }
  | { kind: 'none' }
  /** A hash we cannot carry over (argon2, scrypt, plain md5...): reported, the fallback strategy applies. */
  | { kind: 'unsupported'; scheme: string };

export interface CognitoUserDraft {
  supabaseId: string;
  /** Lower-cased email: the sign-in name (the pool uses email as username). */
  email: string;
  attributes: AttributeType[];
  enabled: boolean;
  password: PasswordInfo;
  identities: { provider: string; providerUserId: string }[];
}

/** What the pool's schema allows: its attribute names and their length limits. */
export interface PoolLimits {
  /** Max length per attribute name (from the pool schema); others default to Cognito's 2048. */
  maxLength?: Record<string, number>;
  /** Attribute names the pool accepts (standard + its custom ones); undefined: accept all. */
  knownAttributes?: Set<string>;
}

/** The attribute that carries the source system's user id. */
export const SUPABASE_ID_ATTRIBUTE = 'custom:supabase_id';

/** Attributes as a name -> value record (for comparisons and the lazy Lambda's answer). */
export function attributeRecord(attributes: AttributeType[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a) => [a.Name, a.Value]));
}
