import pg from 'pg';

// Stand-in for what db.copy does before sync starts (a publication, a slot created together with an
// exported snapshot, and the initial rows copied under that snapshot), in plain SQL, so the sync tests
// run against exactly the hand-over the real step makes.

export async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

export interface CopySetup {
  slot: string;
  publication: string;
  consistentPoint: string;
}

/** Creates publication + slot (exported snapshot) on the source and copies `tables` to the target under it. */
export async function copyWithSlot(
  sourceUrl: string,
  targetUrl: string,
  tables: string[],
  names: { slot: string; publication: string },
): Promise<CopySetup> {
  await sql(sourceUrl, `CREATE PUBLICATION ${names.publication} FOR TABLE ${tables.join(', ')}`);
  const repl = new pg.Client({ connectionString: sourceUrl, replication: 'database' } as pg.ClientConfig);
  await repl.connect();
  try {
    const created = await repl.query(
      `CREATE_REPLICATION_SLOT ${names.slot} LOGICAL pgoutput (SNAPSHOT 'export')`,
    );
    const { snapshot_name: snapshot, consistent_point: consistentPoint } = created.rows[0] as {
      snapshot_name: string;
      consistent_point: string;
    };
    const reader = new pg.Client({ connectionString: sourceUrl });
    const writer = new pg.Client({ connectionString: targetUrl });
    await reader.connect();
    await writer.connect();
    try {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await reader.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
      for (const table of tables) {
        const rows = await reader.query(`SELECT to_jsonb(t) AS r FROM ${table} t`);
        if (rows.rows.length === 0) continue;
        await writer.query(
          `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`,
          [JSON.stringify(rows.rows.map((r: { r: unknown }) => r.r))],
        );
      }
      await reader.query('COMMIT');
    } finally {
      await reader.end();
      await writer.end();
    }
    return { ...names, consistentPoint };
  } finally {
    await repl.end();
  }
}

/** Row count and an order-independent digest of every row's text, for parity. */
export async function tableDigest(
  url: string,
  table: string,
  orderBy = 'id',
): Promise<{ count: number; md5: string | null }> {
  const res = await sql(
    url,
    `SELECT count(*)::int AS count, md5(string_agg(t::text, '|' ORDER BY ${orderBy})) AS md5 FROM ${table} t`,
  );
  return res.rows[0] as { count: number; md5: string | null };
}

export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
