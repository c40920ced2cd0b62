import type { CognitoUserDraft } from './user-draft.js';

// Rows of a Cognito user import CSV, built against the header GetCSVHeader returned for the pool (the
// header reflects the pool's schema, custom attributes included; column order does not matter, every
// column must be present, empty cells are allowed). Rules from the Cognito developer guide
// ("Creating the user import CSV file"): cognito:username and cognito:mfa_enabled are required, booleans
// are lower-case true/false, and at least one of email_verified / phone_number_verified must be true.
// The column carrying the hash: AWS documentation we could consult (the developer guide's CSV pages,
// https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-using-import-tool-csv-header.html,
// still saying hashes cannot be imported) does not name it; the API reference only documents
// CreateUserImportJob's PasswordHashingAlgorithm. So it is taken from the header GetCSVHeader returned,
// never invented: the one column outside the pool's own custom: attributes whose name mentions both
// "password" and "hash". None, or more than one, and the pool carries no hashes (apply refuses).

export class ImportCsv {
  readonly hashColumn: number;

  constructor(readonly header: string[]) {
    const candidates = header
      .map((h, i) => ({ h, i }))
      .filter(({ h }) => !h.startsWith('custom:') && /password/i.test(h) && /hash/i.test(h));
    this.hashColumn = candidates.length === 1 ? (candidates[0]?.i ?? -1) : -1;
  }

  get carriesHashes(): boolean {
    return this.hashColumn !== -1;
  }

  headerLine(): string {
    return `${this.header.map(csvCell).join(',')}\n`;
  }

  row(user: CognitoUserDraft): string {
    const values = new Map(user.attributes.map((a) => [a.Name, a.Value]));
    const cells = this.header.map((column, i) => {
      if (i === this.hashColumn) return user.password.kind === 'bcrypt' ? user.password.hash : '';
      if (column === 'cognito:username') return user.email;
      if (column === 'cognito:mfa_enabled') return 'false';
      return values.get(column) ?? '';
    });
    return `${cells.map(csvCell).join(',')}\n`;
  }
}

/** Whether Cognito would accept the row: the guide requires one verified contact attribute. */
export function importable(user: CognitoUserDraft): boolean {
  return user.attributes.some(
    (a) => (a.Name === 'email_verified' || a.Name === 'phone_number_verified') && a.Value === 'true',
  );
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
