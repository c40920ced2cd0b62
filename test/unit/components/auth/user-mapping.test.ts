import { describe, expect, it } from 'vitest';
import { mapUser, normalisePhone, passwordInfo } from '../../../../src/components/auth/user-mapping.js';
import { RateLimiter } from '../../../../src/providers/cognito/rate-limiter.js';
import type { SupabaseAuthUser } from '../../../../src/providers/supabase/auth/types.js';

const base: SupabaseAuthUser = {
  id: 'u1',
  email: 'Mixed@Case.IO',
  phone: null,
  emailConfirmedAt: null,
  phoneConfirmedAt: null,
  lastSignInAt: null,
  passwordHash: '$2a$10$abcdefghijklmnopqrstuuJ3x5uLQ0qz6yJ7b7p8aYl9s0Qj8dBGm',
  userMetadata: { full_name: 'M C', plan: 'pro' },
  appMetadata: {},
  bannedUntil: null,
  deletedAt: null,
  isAnonymous: false,
  createdAt: null,
  identities: [],
};
const opts = {
  attributes: [
    { from: 'user_metadata.full_name', to: 'name' },
    { from: 'user_metadata.plan', to: 'custom:plan' },
  ],
  collisions: new Set<string>(),
};

describe('mapUser', () => {
  it('lower-cases email, sets verification from timestamps, maps metadata and custom:supabase_id', () => {
    const m = mapUser(base, opts);
    expect(m.outcome).toBe('migrate');
    if (m.outcome !== 'migrate') return;
    const attrs = Object.fromEntries(m.user.attributes.map((a) => [a.Name, a.Value]));
    expect(attrs).toEqual({
      email: 'mixed@case.io',
      email_verified: 'false',
      name: 'M C',
      'custom:plan': 'pro',
      'custom:supabase_id': 'u1',
    });
    expect(m.user.password.kind).toBe('bcrypt');
    expect(m.user.enabled).toBe(true);
  });
  it('reports collisions, skips deleted and anonymous users, reports users without email', () => {
    expect(mapUser(base, { ...opts, collisions: new Set(['mixed@case.io']) })).toMatchObject({
      outcome: 'report',
      reason: 'email-collision',
    });
    expect(mapUser({ ...base, deletedAt: '2024-01-01' }, opts)).toMatchObject({
      outcome: 'skip',
      reason: 'soft-deleted',
    });
    expect(mapUser({ ...base, isAnonymous: true }, opts)).toMatchObject({
      outcome: 'skip',
      reason: 'anonymous',
    });
    expect(mapUser({ ...base, email: null, phone: '15551234567' }, opts)).toMatchObject({
      outcome: 'report',
      reason: 'no-email',
    });
    expect(mapUser({ ...base, email: null }, opts)).toMatchObject({
      outcome: 'report',
      reason: 'no-identifier',
    });
  });
  it('disables banned users only while the ban lasts; reports long values, bad phones, unknown attributes', () => {
    const now = new Date('2025-01-01');
    expect(mapUser({ ...base, bannedUntil: '2030-01-01' }, { ...opts, now })).toMatchObject({
      user: { enabled: false },
    });
    expect(mapUser({ ...base, bannedUntil: '2020-01-01' }, { ...opts, now })).toMatchObject({
      user: { enabled: true },
    });
    const m = mapUser(
      { ...base, phone: 'abc', userMetadata: { full_name: 'x'.repeat(30), plan: 'pro' } },
      { ...opts, maxLength: { name: 20 }, knownAttributes: new Set(['email', 'name']) },
    );
    if (m.outcome !== 'migrate') throw new Error('expected migrate');
    expect(m.issues.map((i) => i.issue).sort()).toEqual([
      'attribute-too-long',
      'invalid-phone',
      'unknown-attribute',
    ]);
    expect(m.user.attributes.some((a) => a.Name === 'name' || a.Name === 'phone_number')).toBe(false);
  });
  it('normalises phones to E.164 and classifies hashes', () => {
    expect(normalisePhone('1 (555) 123-4567')).toBe('+15551234567');
    expect(normalisePhone('0044 7700 900123')).toBe('+447700900123');
    expect(normalisePhone('12')).toBeUndefined();
    expect(passwordInfo('$argon2id$v=19$m=1$x$y')).toEqual({ kind: 'unsupported', scheme: 'argon2' });
    expect(passwordInfo(null)).toEqual({ kind: 'none' });
  });
});

describe('RateLimiter', () => {
  it('holds the configured rate and slows down on throttling', async () => {
    const limiter = new RateLimiter({ ratePerSecond: 100 });
    const start = performance.now();
    for (let i = 0; i < 50; i++) await limiter.take();
    const rate = 50 / ((performance.now() - start) / 1000);
    expect(rate).toBeLessThan(115);
    expect(rate).toBeGreaterThan(70);
    limiter.onThrottle();
    expect(limiter.currentRate).toBeCloseTo(70);
    for (let i = 0; i < 200; i++) limiter.onSuccess();
    expect(limiter.currentRate).toBe(100);
  });
});
