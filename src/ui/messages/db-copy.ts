// User-facing text of the db.copy step (full load and parity checks). Re-exported as messages.dbCopy.

export const dbCopyMessages = {} as const;
