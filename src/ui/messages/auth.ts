// User-facing text of the auth component. Re-exported through src/ui/messages.ts as messages.auth.

export const authMessages = {} as const;
