import type { SyncStats } from '../../../core/sync-contracts.js';

// What a running capture session shares with its handle (stats, lag, drain), kept apart so the
// logical and trigger sessions report the same way.

export interface SessionState {
  stats: SyncStats;
  /** Position committed on the applying side (and, for logical decoding, acknowledged to the slot). */
  confirmed?: string;
  /** Source commit time of the oldest transaction received but not yet committed on the applying side. */
  pendingSince?: Date;
  lastAppliedCommitTime?: Date;
  stopRequested: boolean;
  /** Trigger capture: changelog reads started so far (drain waits for one that began after it). */
  polls: number;
  /** Asks the source for an immediate keepalive (logical decoding) so drain notices idle progress. */
  ping?: () => void;
  /** Called after each commit on the applying side with the source commit times it covered. */
  onApplied?: (commitTimes: Date[], changes: number) => void;
  /** Recent (time, changes) samples for the rate. */
  samples: { at: number; changes: number }[];
}

export function recordApplied(state: SessionState, commitTimes: Date[], changes: number): void {
  const now = Date.now();
  state.stats.transactionsApplied += commitTimes.length;
  state.stats.changesApplied += changes;
  state.stats.targetCommits++;
  state.samples.push({ at: now, changes });
  while (state.samples.length > 0 && now - state.samples[0]!.at > 5000) state.samples.shift();
  const span = Math.max(1, now - (state.samples[0]?.at ?? now)) / 1000;
  state.stats.changesPerSecond = Math.round(
    state.samples.reduce((n, s) => n + s.changes, 0) / Math.max(span, 1),
  );
  const last = commitTimes[commitTimes.length - 1];
  if (last) state.lastAppliedCommitTime = last;
  state.onApplied?.(commitTimes, changes);
}
