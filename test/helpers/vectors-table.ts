import { vectorsTableStep } from '../../src/components/vectors/vectors-table.js';
import type { EngineSession } from '../../src/engine/session.js';

/** The vector table as vectors.table plans it (apply consumes only what plan returned). */
export async function applyVectorsTable(session: EngineSession): Promise<void> {
  const ctx = session.context(vectorsTableStep);
  for (const action of await vectorsTableStep.plan(ctx)) await vectorsTableStep.apply(ctx, action);
}
