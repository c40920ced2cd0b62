import type { ClientBase } from 'pg';

// The last applied source position of each stream lives on the side the stream writes to, written in
// the same transaction as the changes it covers: after any crash, the stored position and the applied
// data agree, so a restart neither skips nor repeats a change.

export interface StoredPosition {
  position: string;
  commitTime?: Date;
  changes: number;
}

export async function ensurePositionTable(client: ClientBase): Promise<void> {
  // Two first runs can race on CREATE ... IF NOT EXISTS (unique violation on the catalog); the loser
  // simply finds the table on its next attempt.
  for (let attempt = 0; ; attempt++) {
    try {
      await client.query('CREATE SCHEMA IF NOT EXISTS engify');
      await client.query(`CREATE TABLE IF NOT EXISTS engify.sync_position (
        stream text PRIMARY KEY,
        position text NOT NULL,
        commit_time timestamptz,
        applied_at timestamptz NOT NULL DEFAULT now(),
        changes bigint NOT NULL DEFAULT 0
      )`);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt < 3 && (code === '23505' || code === '42P07')) continue;
      throw error;
    }
  }
}

export async function readPosition(client: ClientBase, stream: string): Promise<StoredPosition | undefined> {
  const res = await client.query<{ position: string; commit_time: Date | null; changes: string }>(
    'SELECT position, commit_time, changes::text AS changes FROM engify.sync_position WHERE stream = $1',
    [stream],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  return { position: row.position, commitTime: row.commit_time ?? undefined, changes: Number(row.changes) };
}

/** Call inside the transaction that applies the changes up to `position`. */
export async function writePosition(
  client: ClientBase,
  stream: string,
  position: string,
  commitTime: Date | undefined,
  changes: number,
): Promise<void> {
  await client.query(
    `INSERT INTO engify.sync_position (stream, position, commit_time, applied_at, changes)
     VALUES ($1, $2, $3, clock_timestamp(), $4)
     ON CONFLICT (stream) DO UPDATE
       SET position = EXCLUDED.position, commit_time = EXCLUDED.commit_time,
           applied_at = EXCLUDED.applied_at, changes = engify.sync_position.changes + EXCLUDED.changes`,
    [stream, position, commitTime ?? null, changes],
  );
}
