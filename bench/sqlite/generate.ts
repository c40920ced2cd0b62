import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';

// A SQLite file shaped like a small app's database, for the SQLite source's tests and benchmark: an
// AUTOINCREMENT key with rows deleted (its counter is past the largest key), booleans stored as 0/1 and
// as 't'/'f' text, timestamps as ISO text and as Unix seconds, money as NUMERIC(10,2), JSON text, blobs,
// text with tabs, newlines, backslashes, quotes and non-ASCII, a foreign key, a table keyed by text, a
// table without a key, indexes (one partial: not translatable), and two views (one SQLite-only).

export interface GenerateOptions {
  users: number;
  postsPerUser: number;
}

const ONE_DAY = 86_400;
const BASE = 1_700_000_000;

export function generateSqlite(path: string, o: GenerateOptions): { rows: number } {
  for (const f of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(f, { force: true });
  const db = new Database(path);
  db.exec(`
    CREATE TABLE users (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      email TEXT NOT NULL UNIQUE,
      name VARCHAR(80),
      is_admin BOOLEAN NOT NULL DEFAULT 0,
      created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
      score REAL,
      balance NUMERIC(10,2),
      avatar BLOB
    );
    CREATE TABLE posts (
      id INTEGER PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      title TEXT NOT NULL,
      body TEXT,
      published BOOL,
      published_at TIMESTAMP,
      meta JSON
    );
    CREATE INDEX posts_user ON posts(user_id, published_at DESC);
    CREATE INDEX posts_published ON posts(published_at) WHERE published = 't';
    CREATE TABLE tags (name TEXT PRIMARY KEY, uses INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE TABLE post_tags (post_id INTEGER, tag TEXT);
    CREATE VIEW post_titles AS SELECT id, user_id, title FROM posts;
    CREATE VIEW post_days AS SELECT id, strftime('%Y-%m-%d', published_at, 'unixepoch') AS day FROM posts;
  `);
  const user = db.prepare(
    'INSERT INTO users (email, name, is_admin, created_at, score, balance, avatar) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const post = db.prepare(
    'INSERT INTO posts (user_id, title, body, published, published_at, meta) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const tag = db.prepare('INSERT INTO tags (name, uses) VALUES (?, ?)');
  const link = db.prepare('INSERT INTO post_tags (post_id, tag) VALUES (?, ?)');
  let rows = 0;
  const fill = db.transaction(() => {
    const tags = ['alpha', 'beta', 'gamma', 'délta', 'with space'];
    for (const [i, t] of tags.entries()) tag.run(t, i * 3);
    rows += tags.length;
    let postId = 0;
    for (let u = 1; u <= o.users; u++) {
      const created = new Date((BASE + u * 37) * 1000)
        .toISOString()
        .replace('T', ' ')
        .slice(0, u % 3 === 0 ? 23 : 19);
      user.run(
        `user${u}@example.com`,
        u % 7 === 0 ? null : `User "${u}" Ünïcode`,
        u % 5 === 0 ? 1 : 0,
        created,
        u % 11 === 0 ? null : u * 1.25 + 1e-7 * u,
        u % 13 === 0 ? null : (u * 3.37) % 10_000,
        u % 4 === 0 ? Buffer.from([u & 255, 0, 92, 10, 9]) : null,
      );
      rows++;
      for (let p = 0; p < o.postsPerUser; p++) {
        postId++;
        post.run(
          u,
          `Post ${postId} by ${u}`,
          p % 3 === 0
            ? `line one\n\tline "two" with \\backslash\r\nand 'quotes', (parens) ✓`
            : `body ${postId}`,
          p % 2 === 0 ? 't' : 'f',
          p % 5 === 0 ? null : BASE + (postId * ONE_DAY) / 24,
          p % 4 === 0 ? JSON.stringify({ n: postId, tags: ['a', 'b'], nested: { ok: true } }) : null,
        );
        rows++;
        if (p % 2 === 0) {
          link.run(postId, tags[postId % tags.length]);
          rows++;
        }
      }
    }
  });
  fill();
  // Deleted rows: the AUTOINCREMENT counter stays past the largest remaining key (the app runs with
  // foreign keys on, so the user's posts go with it).
  db.pragma('foreign_keys = ON');
  db.prepare('DELETE FROM users WHERE id = ?').run(o.users);
  rows = 0;
  for (const t of ['users', 'posts', 'tags', 'post_tags'])
    rows += (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  db.close();
  return { rows };
}

// `npx tsx bench/sqlite/generate.ts app.db [users] [postsPerUser]`: the file the README's sandbox config reads.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const [path = 'app.db', u = '1000', p = '5'] = process.argv.slice(2);
  console.log(generateSqlite(path, { users: Number(u), postsPerUser: Number(p) }));
}
