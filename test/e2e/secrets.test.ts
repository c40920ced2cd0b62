import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type ConfigDraft, e2eWorkspace } from '../helpers/e2e-config.js';

const DB_PASSWORD = 'TopSecretPw42';
const SERVICE_KEY = 'eyJhbGciOiJIUzI1NiJ9.service-role-secret-value';

describe('secrets from the config never reach the journal, a plan file or any output', () => {
  it('across plan, apply, verify, status, a failing command and rollback', async () => {
    const ws = e2eWorkspace((c: ConfigDraft) => {
      const url = new URL(c.source.supabase.dbUrl);
      url.password = '${DB_PASSWORD}';
      c.source.supabase.dbUrl = url.toString().replace('%24%7BDB_PASSWORD%7D', '${DB_PASSWORD}');
      c.source.supabase.serviceRoleKey = '${SUPABASE_SERVICE_ROLE_KEY}';
      c.source.supabase.apiUrl = c.target.aws.endpoints.s3;
    });
    const env = { ...ws.env, DB_PASSWORD, SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY };
    const outputs: string[] = [];
    const cli = async (...args: string[]) => {
      const r = await runCli(['--config', ws.configPath, ...args], { env });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const planPath = join(ws.dir, 'plan.json');
    const planned = await cli('plan', '--phase', '1', '--out', planPath, '--verbose');
    expect(planned.code, planned.stdout + planned.stderr).toBe(0);
    expect((await cli('apply', '--phase', '1', '--yes', '--verbose')).code).toBe(0);
    await cli('verify', '--json', '--verbose');
    await cli('status', '--json');
    // A config error whose message would quote the password-bearing URL.
    const bad = JSON.parse(readFileSync(ws.configPath, 'utf8'));
    bad.source.supabase.dbUrl = bad.source.supabase.dbUrl.replace(/:\d+\//, ':1/');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(ws.configPath, JSON.stringify(bad));
    const failing = await cli('plan', '--phase', '1', '--verbose');
    expect(failing.code).toBe(2);
    expect(failing.stderr).toContain('source.supabase.dbUrl');
    writeFileSync(
      ws.configPath,
      JSON.stringify({
        ...bad,
        source: {
          supabase: {
            ...bad.source.supabase,
            dbUrl: bad.source.supabase.dbUrl.replace(':1/', `:${ws.stack.postgresPort}/`),
          },
        },
      }),
    );
    expect((await cli('rollback', '--yes', '--verbose')).code).toBe(0);

    const files = [planPath, ...readdirSync(join(ws.dir, '.engify')).map((f) => join(ws.dir, '.engify', f))];
    const texts = [...outputs, ...files.map((f) => readFileSync(f, 'utf8'))];
    expect(texts.join('').length).toBeGreaterThan(1000);
    for (const t of texts) {
      expect(t).not.toContain(DB_PASSWORD);
      expect(t).not.toContain(SERVICE_KEY);
    }
  });
});
