// The contents of lock.json. A file of its own so that src/ui/messages.ts can name the type without
// importing lock.ts, which imports the messages.

export interface LockHolder {
  pid: number;
  host: string;
  user: string;
  operation: string;
  since: string;
  /**
   * When the holding process started, as the OS counts it (Linux: /proc/<pid>/stat field 22), so a pid
   * reused by another process after a crash is not taken for the holder. Absent where the OS does not
   * tell, and in lock files written before it was recorded.
   */
  startTime?: string;
}

/** Why a lock was taken over instead of refused. */
export type TakeoverReason = 'gone' | 'pid-reused' | 'forced';
