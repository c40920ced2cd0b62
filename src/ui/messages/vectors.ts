// User-facing text of the vectors component. Re-exported through src/ui/messages.ts as messages.vectors.

export const vectorsMessages = {} as const;
