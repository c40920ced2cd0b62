import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type QdrantStandIn, startQdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { runCli } from '../helpers/cli.js';
import { sourceDatabase } from '../helpers/db-cli-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { qdrantRequester, seedRandomCollection } from '../helpers/qdrant-seed.js';

// Bad input for `backup`: the Qdrant server has no room to stage a collection snapshot. The error names
// the directory and about how many bytes it needs, and no object of that backup is left in S3 (the
// database part already uploaded is removed: a backup without its vectors is none). Once there is
// room, the same command makes one complete backup.

let qdrant: QdrantStandIn;
let s3: S3Client;

beforeAll(async () => {
  qdrant = await startQdrantStandIn();
  await seedRandomCollection(
    qdrantRequester(() => qdrant.url),
    'docs',
    'Cosine',
    200,
    { dims: 16, seed: 3 },
  );
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: inject('stack').endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});
afterAll(async () => {
  s3?.destroy();
  await qdrant?.stop();
});

describe('backup: no space to stage a Qdrant snapshot', () => {
  it('fails naming the directory and the bytes needed, leaves nothing, then succeeds once there is room', async () => {
    const source = sourceDatabase(inject('stack').postgresUrl, 200);
    const ws = e2eWorkspace((c) => {
      c.source = {
        supabase: { dbUrl: source.url, schemas: ['public'] },
        qdrant: { url: qdrant.url, collections: ['docs'] },
      };
      delete c.target.cognito;
      c.backup = {};
    });
    const bucket = ws.config.target.s3.bucket as string;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'backups/' }))).Contents ?? []).map(
        (o) => o.Key,
      );

    qdrant.snapshotDisk({ path: '/qdrant/snapshots/docs', freeBytes: 100 });
    const full = await runCli(['--config', ws.configPath, 'backup'], { cwd: ws.dir, env: ws.env });
    expect(full.code, full.stdout + full.stderr).toBe(2);
    expect(full.stderr).toContain(
      'Qdrant has no space to stage a snapshot of collection docs in /qdrant/snapshots/docs',
    );
    expect(full.stderr).toMatch(/needs about \d+ bytes \([\d.]+ MiB\) free there/);
    expect(full.stderr).toContain('storage.snapshots_path');
    // The table dumps went up before the snapshot failed; none of them is left.
    expect(full.stdout + full.stderr).toMatch(/[1-9]\d* objects/);
    expect(await keys()).toEqual([]);

    qdrant.snapshotDisk(undefined);
    const again = await runCli(['--config', ws.configPath, 'backup'], { cwd: ws.dir, env: ws.env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const after = await keys();
    expect(after.some((k) => k?.endsWith('/manifest.json'))).toBe(true);
    expect(after.some((k) => k?.endsWith('qdrant/docs.snapshot'))).toBe(true);
  }, 120_000);
});
