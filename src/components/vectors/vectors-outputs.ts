import type { Json } from '../../core/contracts.js';

// What the vectors steps record for the copy's reruns, verify and sync.
declare module '../../core/step-outputs.js' {
  interface StepOutputs {
    'vectors.table': { table: string };
    'vectors.copy': {
      /** Points refused per collection (too large, bad vector), reported by verify. */
      [rejected: `rejected:${string}`]: Json;
      /** The bulk import job of a collection, so a rerun finds it instead of starting another. */
      [job: `bulk-job:${string}`]: Json;
      [result: `bulk-result:${string}`]: Json;
    };
  }
}
