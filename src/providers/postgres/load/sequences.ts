import type { SqlExecutor } from '../../../core/sql-executor.js';
import type { SequenceValue } from '../catalog.js';
import { qualified } from '../sql-text.js';

// Sequences move with setval to the source's value (is_called kept), so the next value on the target is
// the one the source would hand out next. A sequence never seen on the source (null) is left alone.

export async function setSequences(target: SqlExecutor, values: SequenceValue[]): Promise<number> {
  let set = 0;
  for (const s of values) {
    if (s.lastValue === null) continue;
    await target.query('SELECT setval($1::regclass, $2::bigint, $3::boolean)', [
      qualified(s.schema, s.name),
      s.lastValue,
      s.isCalled,
    ]);
    set++;
  }
  return set;
}

/** The value nextval() would return next: comparable across both sides. */
export function nextValue(lastValue: string, isCalled: boolean): bigint {
  return BigInt(lastValue) + (isCalled ? 1n : 0n);
}
