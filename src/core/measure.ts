import type { PathChoice } from './path-estimate.js';

// What a step's plan measured about the data it would move, in the source's own terms. Steps attach
// these to the Change they plan; whoever estimates what the target will hold or cost (the cost
// component) reads them from the plan, so nothing is measured twice and the engine passes them on
// without knowing what they mean. Plain JSON, so they travel in `plan --out` files too.

export type Measure =
  | {
      kind: 'db';
      tables: number;
      /** Rows as the source's statistics estimate them (pg_class.reltuples). */
      rows: number;
      /** Bytes of the tables (with TOAST) as the source holds them. */
      bytes: number;
      /** Bytes of their indexes on the source (rebuilt on the target after the load). */
      indexBytes: number;
      /** Which engine db.copy chose (this machine or AWS DMS), with each path's estimate and why. */
      path?: PathChoice;
    }
  | {
      kind: 'users';
      users: number;
      /** Users whose last sign-in is within the 30 days before the plan (the MAU Cognito bills). */
      activeLast30Days: number;
      /** Cognito API calls the copy itself makes (AdminCreateUser, import-job calls, ...). */
      cognitoCalls: number;
      /** How passwords reach Cognito (reset, lazy, import-hashes). */
      route: string;
    }
  | {
      kind: 'vectors';
      collection: string;
      points: number;
      dimensions: number;
      /** Points of the first page encoded as the copy would encode them (0: none to sample). */
      sampledPoints: number;
      /** Mean size of a sampled item by DynamoDB's own counting rules (names, values, list overheads). */
      avgItemBytes: number | null;
      /** Mean size of the vector attribute alone (name + a list of numbers, as a vector index reads it). */
      avgVectorBytes: number | null;
      /** The vector attribute's name (its length counts in every item). */
      vectorAttribute: string;
      /** How the copy writes: BatchWriteItem (write request units), or DynamoDB's bulk load from S3. */
      copyPath: 'batch-write' | 'bulk-import';
    }
  | {
      kind: 'files';
      bucket: string;
      objects: number;
      bytes: number;
      /** S3 PUT-class requests the copy makes (one per object; parts + 2 for multipart uploads). */
      putRequests: number;
    };

export type MeasureKind = Measure['kind'];

/** A step's plan as a report on the whole plan sees it: the step id and what it planned. */
export interface PlannedStepView {
  id: string;
  changes: readonly { measures?: Measure[] }[];
}

export function measuresOf<K extends MeasureKind>(
  steps: readonly PlannedStepView[],
  kind: K,
): Extract<Measure, { kind: K }>[] {
  const out: Extract<Measure, { kind: K }>[] = [];
  for (const s of steps)
    for (const c of s.changes)
      for (const m of c.measures ?? []) if (m.kind === kind) out.push(m as Extract<Measure, { kind: K }>);
  return out;
}
