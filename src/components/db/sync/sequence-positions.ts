import type { Client } from 'pg';
import { readSequences, readSequenceValues } from '../../../providers/postgres/catalog.js';
import { qualified } from '../../../providers/postgres/sql-text.js';

// Logical decoding carries rows, not sequence positions. At each switch of the side the app writes to
// (cutover, and back), the side about to take writes gets every sequence moved up to at least the
// other side's position, so its next ids never collide with rows that came over by sync.
// Never moved down: a sequence already ahead stays where it is.

export async function carrySequencePositions(from: Client, to: Client, schemas: string[]): Promise<number> {
  const values = await readSequenceValues(from, await readSequences(from, schemas));
  let moved = 0;
  for (const s of values) {
    if (s.lastValue === null) continue;
    const name = qualified(s.schema, s.name);
    const exists = await to.query('SELECT 1 FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2', [
      s.schema,
      s.name,
    ]);
    if (exists.rowCount === 0) continue;
    const r = await to.query(
      `SELECT setval($1::regclass, $2::bigint, $3::boolean)
         FROM ${name} WHERE last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) < $2::bigint + (CASE WHEN $3::boolean THEN 1 ELSE 0 END)`,
      [name, s.lastValue, s.isCalled],
    );
    moved += r.rowCount ?? 0;
  }
  return moved;
}
