import type { Json } from '../../core/contracts.js';
import {
  type AttributeType,
  type CognitoUserDraft,
  type PasswordInfo,
  type PoolLimits,
  SUPABASE_ID_ATTRIBUTE,
} from '../../providers/cognito/user-draft.js';
import type { SupabaseAuthUser } from '../../providers/supabase/auth/types.js';

// The mapping's vocabulary, for the auth steps and passes that use both.
export { attributeRecord, SUPABASE_ID_ATTRIBUTE } from '../../providers/cognito/user-draft.js';
export type { AttributeType, CognitoUserDraft, PasswordInfo };

// Supabase user -> Cognito user, as a pure function so every rule is unit-testable:
// email lower-cased (the pool is case-insensitive; case-only twins are reported, never merged), phone
// normalised to E.164 or reported, verification flags from the confirmation timestamps, metadata into
// attributes per the config mapping, custom:supabase_id, banned -> disabled, soft-deleted and anonymous
// users skipped, values over Cognito's limits reported (the attribute is left out, the user still moves).

export type Issue = 'invalid-phone' | 'attribute-too-long' | 'non-bcrypt-hash' | 'unknown-attribute';

export type Mapped =
  | { outcome: 'migrate'; user: CognitoUserDraft; issues: { issue: Issue; detail: string }[] }
  | { outcome: 'skip'; supabaseId: string; reason: 'soft-deleted' | 'anonymous' }
  | {
      outcome: 'report';
      supabaseId: string;
      reason: 'email-collision' | 'no-email' | 'no-identifier' | 'invalid-email';
    };

export interface MappingOptions extends PoolLimits {
  attributes: { from: string; to: string }[];
  /** Lower-cased emails shared by several users. */
  collisions: Set<string>;
  now?: Date;
}

const DEFAULT_MAX = 2048;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// E.164 allows up to 15 digits; fewer than 7 is no dialable number anywhere.
const E164 = /^\+[1-9]\d{6,14}$/;
const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function mapUser(user: SupabaseAuthUser, options: MappingOptions): Mapped {
  if (user.deletedAt) return { outcome: 'skip', supabaseId: user.id, reason: 'soft-deleted' };
  if (user.isAnonymous) return { outcome: 'skip', supabaseId: user.id, reason: 'anonymous' };
  if (!user.email) {
    return { outcome: 'report', supabaseId: user.id, reason: user.phone ? 'no-email' : 'no-identifier' };
  }
  const email = user.email.trim().toLowerCase();
  if (!EMAIL.test(email)) return { outcome: 'report', supabaseId: user.id, reason: 'invalid-email' };
  if (options.collisions.has(email))
    return { outcome: 'report', supabaseId: user.id, reason: 'email-collision' };

  const issues: { issue: Issue; detail: string }[] = [];
  const attrs = new Map<string, string>();
  attrs.set('email', email);
  attrs.set('email_verified', user.emailConfirmedAt ? 'true' : 'false');
  if (user.phone) {
    const phone = normalisePhone(user.phone);
    if (phone) {
      attrs.set('phone_number', phone);
      attrs.set('phone_number_verified', user.phoneConfirmedAt ? 'true' : 'false');
    } else {
      issues.push({ issue: 'invalid-phone', detail: 'phone_number left out: not a valid E.164 number' });
    }
  }
  for (const { from, to } of options.attributes) {
    if (attrs.has(to)) continue;
    const value = stringValue(lookup(user, from));
    if (value === undefined || value === '') continue;
    if (options.knownAttributes && !options.knownAttributes.has(to)) {
      issues.push({
        issue: 'unknown-attribute',
        detail: `${to} is not an attribute of the pool (mapped from ${from})`,
      });
      continue;
    }
    attrs.set(to, value);
  }
  attrs.set(SUPABASE_ID_ATTRIBUTE, user.id);

  for (const [name, value] of attrs) {
    const max = options.maxLength?.[name] ?? DEFAULT_MAX;
    if (value.length > max) {
      issues.push({
        issue: 'attribute-too-long',
        detail: `${name} left out: ${value.length} characters, limit ${max}`,
      });
      attrs.delete(name);
    }
  }

  const password = passwordInfo(user.passwordHash);
  if (password.kind === 'unsupported') {
    issues.push({ issue: 'non-bcrypt-hash', detail: `password hash is ${password.scheme}, not bcrypt` });
  }
  const now = options.now ?? new Date();
  const banned = user.bannedUntil !== null && new Date(user.bannedUntil).getTime() > now.getTime();

  return {
    outcome: 'migrate',
    user: {
      supabaseId: user.id,
      email,
      attributes: [...attrs]
        .map(([Name, Value]) => ({ Name, Value }))
        .sort((a, b) => a.Name.localeCompare(b.Name)),
      enabled: !banned,
      password,
      identities: user.identities.filter((i) => i.provider !== 'email' && i.provider !== 'phone'),
    },
    issues,
  };
}

export function normalisePhone(raw: string): string | undefined {
  const compact = raw.replace(/[\s().-]/g, '');
  // Supabase stores phone numbers without the leading "+".
  const withPlus = compact.startsWith('+')
    ? compact
    : compact.startsWith('00')
      ? `+${compact.slice(2)}`
      : `+${compact}`;
  return E164.test(withPlus) ? withPlus : undefined;
}

export function passwordInfo(hash: string | null): PasswordInfo {
  if (!hash) return { kind: 'none' };
  if (BCRYPT.test(hash)) return { kind: 'bcrypt', hash };
  const scheme = hash.startsWith('$argon2')
    ? 'argon2'
    : hash.startsWith('$scrypt') || hash.startsWith('$7$')
      ? 'scrypt'
      : hash.startsWith('$pbkdf2')
        ? 'pbkdf2'
        : hash.startsWith('$2')
          ? 'malformed bcrypt'
          : /^[0-9a-f]{32}$/i.test(hash)
            ? 'md5-like'
            : 'unknown';
  return { kind: 'unsupported', scheme };
}

function lookup(user: SupabaseAuthUser, path: string): Json | undefined {
  const [head, ...rest] = path.split('.');
  let current: Json | undefined =
    head === 'user_metadata'
      ? user.userMetadata
      : head === 'app_metadata'
        ? user.appMetadata
        : head === 'phone'
          ? user.phone
          : head === 'created_at'
            ? user.createdAt
            : undefined;
  for (const key of rest) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = current[key];
  }
  return current;
}

function stringValue(value: Json | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
