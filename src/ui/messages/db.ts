// User-facing text of the db component. Re-exported through src/ui/messages.ts as messages.db.

export const dbMessages = {} as const;
