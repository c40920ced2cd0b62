// User-facing text about the state directory and the files in it (journal, lock). Re-exported through
// src/core/messages.ts as messages.state.

export const stateMessages = {
  dirUnusable: (path: string, code: string, at: string) =>
    `Cannot create the state directory ${path} (${code}${at === path ? '' : ` on ${at}`}).`,
  dirUnusableHint:
    'Set "stateDir" in the config to a folder this user can write (it is created if missing), or create that folder first.',
  journalCorrupt: (path: string, line: number, problem: string) =>
    `The journal ${path} line ${line} is damaged: ${problem}.`,
  journalNotJson: 'it is not a JSON record',
  journalBadRecord: (problems: string[]) => `the record has the wrong shape (${problems.join('; ')})`,
  journalCorruptHint: (path: string, line: number) =>
    `This tool never skips a record in the middle of the journal: without it, resume and rollback would not know what was done. Restore ${path} from a backup, or repair line ${line} by hand (one JSON record per line, like its neighbours), then rerun the same command.`,
  marksCorrupt: (path: string, line: number) => `The sync marks file ${path} line ${line} is damaged.`,
  marksCorruptHint: (path: string) =>
    `These marks only say where incremental sync passes got to. Delete ${path} and rerun: the next pass compares both sides in full and rebuilds them.`,
};
