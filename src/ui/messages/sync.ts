// User-facing text of the sync component. Re-exported through src/ui/messages.ts as messages.sync.

export const syncMessages = {} as const;
