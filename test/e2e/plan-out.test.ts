import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

// `plan --out` to a place that cannot take the file is the user's path to fix: exit 2, naming the path
// and the errno, and no temporary file left behind.

describe('plan --out to a path that cannot be written', () => {
  it('a missing folder: exit 2 naming the path and ENOENT', async () => {
    const ws = e2eWorkspace();
    const out = join(ws.dir, 'no-such-folder', 'plan.json');
    const r = await runCli(['--config', ws.configPath, 'plan', '--phase', '1', '--out', out], {
      env: ws.env,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(out);
    expect(r.stderr).toContain('ENOENT');
    expect(r.stderr).toMatch(/next: /);
  });

  it('a folder given as the file: exit 2 naming it, no temporary file left', async () => {
    const ws = e2eWorkspace();
    const out = join(ws.dir, 'plans');
    mkdirSync(out);
    const r = await runCli(['--config', ws.configPath, 'plan', '--phase', '1', '--out', out], {
      env: ws.env,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(out);
    expect(r.stderr).toContain('EISDIR');
    expect(readdirSync(ws.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(out, 'plan.json'))).toBe(false);
  });
});
