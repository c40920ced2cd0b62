import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/load-config.js';
import { runCli } from '../helpers/cli.js';

describe('init', () => {
  it('writes a config that loads once its variables are set, and never overwrites one silently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engify-init-'));
    const r = await runCli(['init', '--project', 'shop', '--region', 'eu-west-1', '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const path = join(dir, 'migrations.config.json');
    const text = readFileSync(path, 'utf8');
    expect(r.stdout).toContain('SUPABASE_SERVICE_ROLE_KEY');
    const env = {
      SUPABASE_DB_URL: 'postgres://postgres:pw@db.example.com/postgres',
      SUPABASE_URL: 'https://abc.supabase.co',
      SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-value',
      QDRANT_URL: 'https://qdrant.example.com',
      QDRANT_API_KEY: 'qdrant-key-value',
      VERCEL_TOKEN: 'vercel-token-value',
      VERCEL_PROJECT_ID: 'prj_1',
      RDS_DATABASE_URL: 'postgres://app:pw@rds.example.com/app',
    };
    const loaded = parseConfig(text, path, env);
    expect(loaded.config.target.cognito?.userPoolName).toBe('shop-users');
    expect(loaded.config.target.aws.region).toBe('eu-west-1');
    const again = await runCli(['init', '--yes'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(path, 'utf8')).toBe(text);
    const bad = await runCli(['init', '--project', 'Shop Now', '--yes', '--force'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('project');
  });
});
