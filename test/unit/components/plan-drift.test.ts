import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { filesBucket } from '../../../src/components/files/files-bucket.js';
import { flagsStore } from '../../../src/components/flags/flags-store.js';
import type { EngineSession } from '../../../src/engine/session.js';
import { e2eWorkspace } from '../../helpers/e2e-config.js';
import { openTestSession } from '../../helpers/session.js';

// Steps apply the actions plan returned; what they were decided on changing in between (a bucket or
// a flag store made by someone else after the plan) stops the step with PLAN_DRIFT, untouched.

const sessions: EngineSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
});

function open() {
  const ws = e2eWorkspace((c) => {
    c.target.aws.credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  });
  const session = openTestSession(ws.config);
  sessions.push(session);
  return { ws, session };
}

describe('drift between plan and apply', () => {
  it('files.bucket: a bucket of that name created after the plan is not adopted', async () => {
    const { ws, session } = open();
    const ctx = session.context(filesBucket);
    const [create] = await filesBucket.plan(ctx);
    expect(create?.details).toMatchObject({ kind: 'create' });
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: ws.stack.endpoints.s3,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: ws.config.target.s3.bucket }));
    if (!create) throw new Error('no action planned');
    await expect(filesBucket.apply(ctx, create)).rejects.toMatchObject({ code: 'PLAN_DRIFT' });
    expect(ctx.journal.createdResources()).toEqual([]);
    expect(ctx.journal.outputOf('files.bucket', 'bucket')).toBeUndefined();
  });

  it('flags.store: a store file written after the plan is left as it is', async () => {
    const { session } = open();
    const ctx = session.context(flagsStore);
    const [create] = await flagsStore.plan(ctx);
    if (!create) throw new Error('no action planned');
    const path = create.resource;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{"flags":{}}');
    await expect(flagsStore.apply(ctx, create)).rejects.toMatchObject({ code: 'PLAN_DRIFT' });
    expect(existsSync(path)).toBe(true);
    expect(ctx.journal.createdResources()).toEqual([]);
  });
});
