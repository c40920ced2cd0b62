import { describe, expect, it } from 'vitest';
import type { CognitoUserDraft } from '../../../../src/components/auth/user-mapping.js';
import { ImportCsv } from '../../../../src/providers/cognito/import-csv.js';
import { HASH_COLUMN, parseCsv } from '../../../../src/sandbox/cognito-import-jobs.js';

// The hash column is taken from the header GetCSVHeader returned, never invented. A pool's own custom
// attribute may be named like a hash column: a hash must never land in a user attribute.

const HASH = '$2b$10$abcdefghijklmnopqrstuuJ3x5uLQ0qz6yJ7b7p8aYl9s0Qj8dBGm';
const user: CognitoUserDraft = {
  supabaseId: 'u1',
  email: 'ann@example.com',
  attributes: [
    { Name: 'email', Value: 'ann@example.com' },
    { Name: 'email_verified', Value: 'true' },
  ],
  enabled: true,
  password: { kind: 'bcrypt', hash: HASH },
  identities: [],
};
const base = ['email', 'email_verified', 'cognito:mfa_enabled', 'cognito:username'];

const cellsOf = (csv: ImportCsv) => {
  const [header, row] = parseCsv(csv.headerLine() + csv.row(user));
  return Object.fromEntries((header ?? []).map((h, i) => [h, row?.[i]]));
};

describe('ImportCsv', () => {
  it('puts the hash in the column the header names, and nowhere else', () => {
    const csv = new ImportCsv([...base, HASH_COLUMN]);
    expect(csv.carriesHashes).toBe(true);
    expect(cellsOf(csv)).toEqual({
      email: 'ann@example.com',
      email_verified: 'true',
      'cognito:mfa_enabled': 'false',
      'cognito:username': 'ann@example.com',
      [HASH_COLUMN]: HASH,
    });
  });

  it('never takes a custom attribute for the hash column', () => {
    const csv = new ImportCsv([...base, 'custom:password_hash_legacy', HASH_COLUMN]);
    expect(csv.header[csv.hashColumn]).toBe(HASH_COLUMN);
    expect(cellsOf(csv)['custom:password_hash_legacy']).toBe('');

    const onlyCustom = new ImportCsv([...base, 'custom:password_hash_legacy']);
    expect(onlyCustom.carriesHashes).toBe(false);
  });

  it('fails closed when the header names no hash column, or more than one', () => {
    expect(new ImportCsv(base).carriesHashes).toBe(false);
    expect(
      new ImportCsv([...base, 'cognito:password_hash', 'cognito:password_hash_salt']).carriesHashes,
    ).toBe(false);
  });
});
