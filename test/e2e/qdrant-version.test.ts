import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QdrantStandIn, startQdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { journalText } from '../helpers/db-cli-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// A Qdrant server too old for the Query API's `sample: random` (added in 1.11.0) is refused by the
// preflight, naming the version it runs and the minimum, instead of failing mid-verify.

const API_KEY = 'qdrant-version-key';
let old: QdrantStandIn;
let current: QdrantStandIn;

beforeAll(async () => {
  [old, current] = await Promise.all([
    startQdrantStandIn({ apiKey: API_KEY, version: '1.10.1' }),
    startQdrantStandIn({ apiKey: API_KEY }),
  ]);
  for (const q of [old, current]) q.createCollection('docs', { vectors: { size: 4, distance: 'Cosine' } });
});
afterAll(async () => {
  await Promise.all([old?.stop(), current?.stop()]);
});

const out = (r: CliResult) => r.stdout + r.stderr;

function workspace(url: string) {
  const ws = e2eWorkspace((config) => {
    config.source.qdrant = { url, apiKey: '${TEST_QDRANT_KEY}', collections: ['docs'] };
  });
  const env = { ...ws.env, TEST_QDRANT_KEY: API_KEY };
  return { ...ws, cli: (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env }) };
}

describe('Qdrant server version in the preflight', () => {
  it('refuses a server older than 1.11.0 with exit 2, naming the field, its version and the minimum', async () => {
    const ws = workspace(old.url);
    for (const args of [['plan'], ['apply', '--phase', '1', '--yes']]) {
      const r = await ws.cli(...args);
      expect(r.code, `${args.join(' ')}\n${out(r)}`).toBe(2);
      expect(r.stderr).toContain(
        `source.qdrant.url: the Qdrant server at ${new URL(old.url).host} runs 1.10.1`,
      );
      expect(r.stderr).toContain('needs Qdrant 1.11.0 or later');
      expect(r.stderr).not.toContain(API_KEY);
    }
    expect(journalText(ws.dir)).toBe('');
    // The version was read from GET /, with the configured key.
    expect(old.requests.some((q) => q.method === 'GET' && q.path === '/' && q.apiKey === API_KEY)).toBe(true);
  }, 90_000);

  it('lets a current server through', async () => {
    const ws = workspace(current.url);
    const r = await ws.cli('plan', '--phase', '1');
    expect(r.code, out(r)).toBe(0);
    expect(out(r)).not.toContain('needs Qdrant');
  }, 60_000);
});
