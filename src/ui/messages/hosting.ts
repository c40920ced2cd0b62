// User-facing text of the hosting component. Re-exported through src/ui/messages.ts as messages.hosting.

export const hostingMessages = {} as const;
