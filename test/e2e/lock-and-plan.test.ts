import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';

describe('state lock and saved plans', () => {
  it('refuses a second run while the lock is held, naming the holder (exit 3)', async () => {
    const ws = e2eWorkspace();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(ws.dir, '.engify'), { recursive: true });
    // The holder is this test process: alive, so --force-unlock must not take it over either.
    const holder = {
      pid: process.pid,
      host: hostname(),
      user: 'alice',
      operation: 'apply',
      since: '2026-11-21T10:00:00.000Z',
    };
    writeFileSync(join(ws.dir, '.engify', 'lock.json'), JSON.stringify(holder));
    for (const extra of [[], ['--force-unlock']]) {
      const r = await runCli(['--config', ws.configPath, 'apply', '--phase', '1', '--yes', ...extra], {
        env: ws.env,
      });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`pid ${process.pid}`);
      expect(r.stderr).toContain('alice');
      expect(r.stderr).toContain(hostname());
    }
    const rollback = await runCli(['--config', ws.configPath, 'rollback', '--yes'], { env: ws.env });
    expect(rollback.code).toBe(3);
  });

  it('applies a saved plan, and refuses it once config or live state changed (exit 4)', async () => {
    const ws = e2eWorkspace();
    const planPath = join(ws.dir, 'plan.json');
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    expect((await cli('plan', '--phase', '1', '--out', planPath)).code).toBe(0);
    const saved = JSON.parse(readFileSync(planPath, 'utf8')) as {
      configHash: string;
      stateHash: string;
      phases: number[];
    };
    expect(saved.phases).toEqual([1]);

    // Live state moves on: the bucket appears behind the plan's back.
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: ws.stack.endpoints.s3,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: `${ws.project}-files` }));
    const stale = await cli('apply', planPath, '--yes');
    expect(stale.code).toBe(4);
    expect(stale.stderr).toContain('files.bucket');

    // A fresh plan applies.
    expect((await cli('plan', '--phase', '1', '--out', planPath)).code).toBe(0);
    const ok = await cli('apply', planPath, '--yes');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);

    // Changing the config makes a saved plan stale too.
    expect((await cli('plan', '--phase', '1', '--out', planPath)).code).toBe(0);
    const config = JSON.parse(readFileSync(ws.configPath, 'utf8')) as { jobs?: number };
    config.jobs = 2;
    writeFileSync(ws.configPath, JSON.stringify(config));
    const changed = await cli('apply', planPath, '--yes');
    expect(changed.code).toBe(4);
    expect(changed.stderr).toContain('config changed');
    await cli('rollback', '--yes');
    s3.destroy();
  });

  it('refuses phase 2 before phase 1 has succeeded, unless --force (shown in the plan)', async () => {
    const ws = e2eWorkspace();
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    const r = await cli('apply', '--phase', '2', '--yes');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('phase 1 has steps that have not succeeded');
    expect(r.stderr).toContain('auth.pool');
    const planForced = await cli('plan', '--phase', '2', '--force');
    expect(planForced.stdout).toContain('FORCED');
  });
});
