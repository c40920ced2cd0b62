import type { CatalogSession } from './introspect.js';

// pg_get_viewdef() prints the same view differently across majors: from PostgreSQL 16 on it leaves out
// the table qualification of a column when the query has one relation ("SELECT owner_id" where 15
// printed "SELECT live_bots.owner_id"). To compare a view read from a source of one major with the same
// view on a target of another, the source's definition is printed again by the target: created as a
// temporary view in a transaction that is rolled back, so nothing stays on the target.

class RolledBack extends Error {
  constructor(readonly definitions: (string | null)[]) {
    super('rolled back on purpose');
  }
}

/** Each definition as the target's server prints it; null where the target cannot parse it. */
export async function deparseOnTarget(db: CatalogSession, definitions: string[]): Promise<(string | null)[]> {
  try {
    await db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('search_path', '', true)`);
      const out: (string | null)[] = [];
      for (const [i, definition] of definitions.entries()) {
        const name = `engify_deparse_${i}`;
        try {
          await tx.query('SAVEPOINT engify_deparse');
          await tx.query(`CREATE TEMPORARY VIEW ${name} AS ${definition}`);
          const { rows } = await tx.query(
            `SELECT pg_catalog.pg_get_viewdef(('pg_temp.' || $1)::regclass) AS d`,
            [name],
          );
          out.push(
            String(rows[0]?.d ?? '')
              .trim()
              .replace(/;$/, ''),
          );
          await tx.query('RELEASE SAVEPOINT engify_deparse');
        } catch {
          await tx.query('ROLLBACK TO SAVEPOINT engify_deparse');
          out.push(null);
        }
      }
      throw new RolledBack(out);
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.definitions;
    throw error;
  }
  return definitions.map(() => null);
}
