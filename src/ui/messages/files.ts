// User-facing text of the files component. Re-exported through src/ui/messages.ts as messages.files.

export const filesMessages = {} as const;
