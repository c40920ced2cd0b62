// Runs SQL for the synchronous test helpers (runSql) with the `pg` client, so the tests need no psql
// binary (a machine with only the embedded PostgreSQL server has none). Prints the last statement's
// rows as `psql -At` does: fields joined by '|', one row a line, values in PostgreSQL's text form.
import { readFileSync } from 'node:fs';
import pg from 'pg';

const [url, file] = process.argv.slice(2);
const sql = readFileSync(file === '-' ? 0 : file, 'utf8');
const client = new pg.Client({ connectionString: url, types: { getTypeParser: () => (v) => v } });
// psql shows NOTICEs on stderr; the tests never read them.
client.on('notice', () => undefined);
await client.connect();
try {
  const results = await client.query({ text: sql, rowMode: 'array' });
  const last = Array.isArray(results) ? results.at(-1) : results;
  const rows = last?.rows ?? [];
  if (rows.length > 0)
    process.stdout.write(`${rows.map((r) => r.map((v) => v ?? '').join('|')).join('\n')}\n`);
} catch (error) {
  process.stderr.write(`psql-like error: ${error.message}\n`);
  process.exitCode = 3;
} finally {
  await client.end();
}
