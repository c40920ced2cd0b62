import type { Json } from './contracts.js';
import type { SyncDirection } from './sync-contracts.js';

// What `sync` tells whoever watches it (metrics to a monitoring service, for one), through a hook a
// component provides on its ComponentModule (syncObserver). The engine hands every observer the same
// per-component figures about once a second and never knows where they go; an observer must neither
// throw nor hold the loop up (sync never stops because its watcher failed).

export interface ComponentSyncSample {
  /** The component's name (db, auth, ...). */
  component: string;
  direction: SyncDirection;
  /** Lag of a stream component; absent for components kept by passes. */
  lagSeconds?: number;
  lagBytes?: number;
  lagRows?: number;
  changesPerSecond: number;
  /** Changes applied since this sync started (cumulative). */
  changesApplied: number;
  /** Errors seen since this sync started (cumulative; retried or not). */
  errors: number;
}

export interface SyncObserver {
  /** Called with each report (about once a second); returns at once, never throws. */
  observe(samples: readonly ComponentSyncSample[]): void;
  /** What it did so far (published, dropped, ...), kept in the sync report that `status` shows. */
  report(): Record<string, Json>;
  /** When sync stops: waits for what is in flight (never throws). */
  close(): Promise<void>;
}
