// User-facing text about the state directory and the files in it (journal, lock). Re-exported through
// src/ui/messages.ts as messages.state.

export const stateMessages = {
  dirUnusable: (path: string, code: string, at: string) =>
    `Cannot create the state directory ${path} (${code}${at === path ? '' : ` on ${at}`}).`,
  dirUnusableHint:
    'Set "stateDir" in the config to a folder this user can write (it is created if missing), or create that folder first.',
};
