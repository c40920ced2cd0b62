import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { observe } from '../helpers/observe-phase1.js';

const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('phase 1 through the CLI against the local stack', () => {
  it('plans, applies, is a noop on rerun, verifies, rolls back and verifies the rollback', async () => {
    const ws = e2eWorkspace();
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });

    const plan = await cli('plan', '--phase', '1');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`create user pool ${ws.project}-users`);
    expect(plan.stdout).toContain(`create bucket ${ws.project}-files`);
    expect(await observe(ws)).toEqual({ pools: 0, clients: [], bucket: false, flags: null });

    const refused = await cli('apply', '--phase', '1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');

    const apply = await cli('apply', '--phase', '1', '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const applied = await observe(ws);
    expect(applied).toEqual({
      pools: 1,
      clients: [`${ws.project}-web`],
      bucket: true,
      flags: { db: 'source', auth: 'source', vectors: 'source', files: 'source', hosting: 'source' },
    });

    const again = await cli('apply', '--phase', '1', '--yes', '--json');
    expect(again.code).toBe(0);
    const events = again.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            outcome?: string;
            plan?: { steps: { changes: { action: string }[] }[] };
          },
      );
    const planEvent = events.find((e) => e.type === 'plan');
    expect(
      planEvent?.plan?.steps.flatMap((s) => s.changes.map((c) => c.action)).every((a) => a === 'noop'),
    ).toBe(true);
    expect(events.filter((e) => e.type === 'task-end').every((e) => e.outcome === 'noop')).toBe(true);
    expect(await observe(ws)).toEqual(applied);

    const verify = await cli('verify');
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/\d+ check\(s\) passed, 0 failed/);

    const status = await cli('status', '--json');
    const states = status.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; state?: string });
    expect(states.filter((s) => s.type.startsWith('phase 1')).map((s) => s.state)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);

    const rollback = await cli('rollback', '--yes');
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(await observe(ws)).toEqual({ pools: 0, clients: [], bucket: false, flags: null });

    const verifyAfter = await cli('verify');
    expect(verifyAfter.code, verifyAfter.stdout).toBe(0);
    expect(verifyAfter.stdout).toContain('deleted');
  });

  it('keeps resources it did not create when rolling back', async () => {
    const ws = e2eWorkspace();
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: ws.stack.endpoints.s3,
      forcePathStyle: true,
      credentials: creds,
    });
    const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
    await s3.send(new CreateBucketCommand({ Bucket: `${ws.project}-files` }));
    const cli = (...args: string[]) => runCli(['--config', ws.configPath, ...args], { env: ws.env });
    const plan = await cli('plan', '--phase', '1');
    // The pre-existing bucket lacks the configured CORS: it is updated, not re-created, and kept on rollback.
    expect(plan.stdout).toContain(`update bucket ${ws.project}-files`);
    expect(plan.stdout).not.toContain(`create bucket ${ws.project}-files`);
    expect((await cli('apply', '--phase', '1', '--yes')).code).toBe(0);
    expect((await cli('rollback', '--yes')).code).toBe(0);
    const after = await observe(ws);
    expect(after.bucket).toBe(true);
    expect(after.pools).toBe(0);
    s3.destroy();
  });
});
