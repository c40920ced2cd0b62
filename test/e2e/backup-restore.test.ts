import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readTables } from '../../src/providers/postgres/catalog.js';
import { checksumSql } from '../../src/providers/postgres/checksum.js';
import { WHOLE_TABLE } from '../../src/providers/postgres/ranges.js';
import { CANONICAL_TEXT_SETTINGS } from '../../src/providers/postgres/sql-text.js';
import { type QdrantStandIn, startQdrantStandIn } from '../../src/sandbox/qdrant-server.js';
import { runCli } from '../helpers/cli.js';
import { sourceDatabase, uniqueName, withDatabase } from '../helpers/db-cli-fixture.js';
import { runSql } from '../helpers/db-copy-fixture.js';
import { e2eWorkspace } from '../helpers/e2e-config.js';
import { qdrantRequester, seedRandomCollection } from '../helpers/qdrant-seed.js';

// `engify-migrate backup` and `restore` through the built CLI: a Supabase-shaped source on the shared
// PostgreSQL cluster, the shared s3rver, and the Qdrant stand-in. A backup restored into a fresh
// database has row parity with the source by the range checksums verify uses; a restore into a
// database that holds rows is refused naming them; kill -9 during the upload then a rerun leaves one
// complete backup whose every object matches its manifest, and nothing else under its prefix.

let qdrant: QdrantStandIn;
let s3: S3Client;

beforeAll(async () => {
  qdrant = await startQdrantStandIn();
  await seedRandomCollection(
    qdrantRequester(() => qdrant.url),
    'docs',
    'Cosine',
    120,
    {
      dims: 8,
      seed: 7,
      uuidEvery: 4,
    },
  );
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: inject('stack').endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  s3?.destroy();
  await qdrant?.stop();
});

async function workspace(rows: number) {
  const cluster = inject('stack').postgresUrl;
  const source = sourceDatabase(cluster, rows);
  const ws = e2eWorkspace((c) => {
    c.source = {
      supabase: { dbUrl: source.url, schemas: ['public'] },
      qdrant: { url: qdrant.url, collections: ['docs'] },
    };
    delete c.target.cognito;
    c.backup = {};
  });
  await s3.send(new CreateBucketCommand({ Bucket: ws.config.target.s3.bucket }));
  return { ...ws, cluster, source, bucket: ws.config.target.s3.bucket as string };
}

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function bytesOf(bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Per table of `schemas`: row count and checksum, as verify computes them (whole-table range). */
async function checksums(url: string, schemas: string[]): Promise<Record<string, string>> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    for (const sql of CANONICAL_TEXT_SETTINGS) await c.query(sql);
    const out: Record<string, string> = {};
    for (const t of await readTables(c, schemas)) {
      const { rows } = await c.query<{ rows: string; hash: string }>(checksumSql(t, WHOLE_TABLE));
      out[`${t.schema}.${t.name}`] = `${rows[0]!.rows}:${rows[0]!.hash}`;
    }
    return out;
  } finally {
    await c.end();
  }
}

function backupIdOf(stdout: string): string {
  const m = stdout.match(/(\d{8}T\d{6}Z): \d+ object\(s\)/);
  expect(m, stdout).not.toBeNull();
  return m![1]!;
}

describe('backup and restore', () => {
  it('backs up, restores into a fresh database with checksum parity, and refuses a non-empty one', async () => {
    const ws = await workspace(3000);
    const backup = await runCli(['--config', ws.configPath, 'backup'], { cwd: ws.dir, env: ws.env });
    expect(backup.code, backup.stderr + backup.stdout).toBe(0);
    const id = backupIdOf(backup.stdout);
    const prefix = `backups/${id}/`;
    const manifest = JSON.parse((await bytesOf(ws.bucket, `${prefix}manifest.json`)).toString()) as {
      objects: { key: string; kind: string; sha256: string; bytes: number; encryption?: string }[];
    };
    // Every object the manifest lists is there with its SHA-256, and nothing else is.
    expect(await keys(ws.bucket, prefix)).toEqual(
      [...manifest.objects.map((o) => o.key), `${prefix}manifest.json`].sort(),
    );
    for (const o of manifest.objects)
      expect(
        createHash('sha256')
          .update(await bytesOf(ws.bucket, o.key))
          .digest('hex'),
        o.key,
      ).toBe(o.sha256);
    // The Auth users with their hashes are a separate, encrypted object; Storage metadata is kept.
    const auth = manifest.objects.filter((o) => o.kind === 'auth');
    expect(auth.map((o) => o.key).sort()).toEqual([
      `${prefix}auth/identities.copy.gz`,
      `${prefix}auth/users.copy.gz`,
    ]);
    for (const o of auth) expect(o.encryption).toBe('AES256');
    expect(manifest.objects.some((o) => o.kind === 'storage')).toBe(true);
    // The Qdrant collection went through the snapshot API, and the snapshot was deleted on the server.
    const snap = manifest.objects.find((o) => o.kind === 'qdrant')!;
    expect(snap.key).toBe(`${prefix}qdrant/docs.snapshot`);
    const listed = await fetch(`${qdrant.url}/collections/docs/snapshots`).then((r) => r.json());
    expect((listed as { result: unknown[] }).result).toEqual([]);
    expect(
      qdrant.requests.some((r) => r.method === 'DELETE' && r.path.startsWith('/collections/docs/snapshots/')),
    ).toBe(true);
    // ... and it is a real snapshot: uploaded into a fresh Qdrant, it restores every point.
    const fresh = await startQdrantStandIn();
    try {
      const form = new FormData();
      form.append('snapshot', new Blob([await bytesOf(ws.bucket, snap.key)]), 'docs.snapshot');
      const up = await fetch(`${fresh.url}/collections/docs/snapshots/upload`, {
        method: 'POST',
        body: form,
      });
      expect(up.status).toBe(200);
      const count = (u: string) =>
        fetch(`${u}/collections/docs/points/count`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }).then(async (r) => ((await r.json()) as { result: { count: number } }).result.count);
      expect(await count(fresh.url)).toBe(await count(qdrant.url));
    } finally {
      await fresh.stop();
    }

    // Restore into a fresh database: every table's count and checksum equal the source's.
    const restored = uniqueName('rst');
    runSql(ws.cluster, `CREATE DATABASE ${restored}`);
    const to = withDatabase(ws.cluster, restored);
    const res = await runCli(['--config', ws.configPath, 'restore', '--backup', id, '--to', to], {
      cwd: ws.dir,
      env: ws.env,
    });
    expect(res.code, res.stderr + res.stdout).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`restored backup ${id}: \\d+ table\\(s\\)`));
    const before = await checksums(ws.source.url, ['public']);
    expect(Object.keys(before).length).toBeGreaterThan(2);
    expect(await checksums(to, ['public'])).toEqual(before);

    // A second restore into the same (now full) database is refused, naming the tables; exit 2.
    const again = await runCli(['--config', ws.configPath, 'restore', '--backup', id, '--to', to], {
      cwd: ws.dir,
      env: ws.env,
    });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/restore target is not empty: .*public\./);
    // An unknown backup id names the complete ones.
    const unknown = await runCli(
      ['--config', ws.configPath, 'restore', '--backup', '20000101T000000Z', '--to', to],
      {
        cwd: ws.dir,
        env: ws.env,
      },
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(id);
  }, 120_000);

  it('kill -9 during the upload, then a rerun: one complete backup, no torn or stray objects', async () => {
    const ws = await workspace(20000);
    const killed = await runCli(['--config', ws.configPath, '--json', 'backup'], {
      cwd: ws.dir,
      env: ws.env,
      onSpawn: (child) => {
        let seen = '';
        child.stdout?.on('data', (c: Buffer) => {
          seen += c.toString();
          // The first table object is up, the rest is still to come: kill mid-backup.
          if (/"uploaded backups\/[^"]+\/db\//.test(seen)) child.kill('SIGKILL');
        });
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const journal = readFileSync(join(ws.dir, '.engify', 'journal.jsonl'), 'utf8');
    const id =
      journal.match(/"pendingBackup","value":"(\d{8}T\d{6}Z)"/)?.[1] ?? journal.match(/(\d{8}T\d{6}Z)/)?.[1];
    expect(id, journal).toBeDefined();
    const prefix = `backups/${id}/`;
    expect(await keys(ws.bucket, prefix)).not.toContain(`${prefix}manifest.json`);
    // A stray object under the prefix (as from an earlier attempt that wrote a table since dropped).
    await s3.send(
      new PutObjectCommand({ Bucket: ws.bucket, Key: `${prefix}db/public.gone.copy.gz`, Body: 'x' }),
    );

    const rerun = await runCli(['--config', ws.configPath, 'backup'], { cwd: ws.dir, env: ws.env });
    expect(rerun.code, rerun.stderr + rerun.stdout).toBe(0);
    expect(backupIdOf(rerun.stdout)).toBe(id);
    const manifest = JSON.parse((await bytesOf(ws.bucket, `${prefix}manifest.json`)).toString()) as {
      objects: { key: string; sha256: string }[];
    };
    expect(await keys(ws.bucket, prefix)).toEqual(
      [...manifest.objects.map((o) => o.key), `${prefix}manifest.json`].sort(),
    );
    for (const o of manifest.objects)
      expect(
        createHash('sha256')
          .update(await bytesOf(ws.bucket, o.key))
          .digest('hex'),
        o.key,
      ).toBe(o.sha256);
    expect((await keys(ws.bucket, 'backups/')).filter((k) => k.endsWith('manifest.json'))).toHaveLength(1);
  }, 120_000);
});

describe('backup: bad input and the cutover guard', () => {
  it('refuses a bucket in another region, and cutover without a backup unless --no-backup', async () => {
    const ws = await workspace(10);
    // s3rver's buckets answer GetBucketLocation as us-east-1: a config for eu-west-1 is refused.
    const config = JSON.parse(readFileSync(ws.configPath, 'utf8'));
    config.target.aws.region = 'eu-west-1';
    const { writeFileSync } = await import('node:fs');
    const other = join(ws.dir, 'other-region.json');
    writeFileSync(other, JSON.stringify(config));
    const wrong = await runCli(['--config', other, 'backup'], { cwd: ws.dir, env: ws.env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      new RegExp(`backup bucket ${ws.bucket} is in us-east-1, not in target.aws.region \\(eu-west-1\\)`),
    );

    // No backup yet: cutover to target is refused (exit 2), before anything else is looked at.
    const refused = await runCli(
      ['--config', ws.configPath, 'cutover', '--component', 'db', '--to', 'target', '--yes'],
      {
        cwd: ws.dir,
        env: ws.env,
      },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/No complete backup of the source exists/);
    expect(refused.stderr).toMatch(/--no-backup/);
    // --no-backup waives it: the cutover goes on to its own checks (here: no flag store yet).
    const waived = await runCli(
      ['--config', ws.configPath, 'cutover', '--component', 'db', '--to', 'target', '--yes', '--no-backup'],
      { cwd: ws.dir, env: ws.env },
    );
    expect(waived.stderr).not.toMatch(/No complete backup/);
    // With a backup (and no copy snapshot yet, so any backup is newer), the guard lets it through.
    expect((await runCli(['--config', ws.configPath, 'backup'], { cwd: ws.dir, env: ws.env })).code).toBe(0);
    const after = await runCli(
      ['--config', ws.configPath, 'cutover', '--component', 'db', '--to', 'target', '--yes'],
      {
        cwd: ws.dir,
        env: ws.env,
      },
    );
    expect(after.stderr).not.toMatch(/No complete backup/);
  }, 120_000);
});

describe('backup: retention rule and a KMS key the role cannot use (S3 answers as AWS does)', () => {
  it('sets the lifecycle rule on the prefix, and names the key when S3 refuses SSE-KMS', async () => {
    const { startS3AnswerProxy } = await import('../helpers/s3-answer-proxy.js');
    let lifecycle = '';
    const proxy = await startS3AnswerProxy(inject('stack').endpoints.s3, (req, body) => {
      if (req.url?.includes('?lifecycle') && req.method === 'GET')
        return {
          status: 404,
          body: '<Error><Code>NoSuchLifecycleConfiguration</Code><Message>The lifecycle configuration does not exist</Message></Error>',
        };
      if (req.url?.includes('?lifecycle') && req.method === 'PUT') {
        lifecycle = body.toString();
        return { status: 200 };
      }
      if (req.headers['x-amz-server-side-encryption'] === 'aws:kms')
        return {
          status: 403,
          body: '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
        };
      return undefined;
    });
    try {
      const ws = await workspace(10);
      const config = JSON.parse(readFileSync(ws.configPath, 'utf8'));
      config.target.aws.endpoints.s3 = proxy.endpoint;
      config.backup = { retentionDays: 14, kmsKeyId: 'alias/engify-backups' };
      const { writeFileSync } = await import('node:fs');
      writeFileSync(ws.configPath, JSON.stringify(config));
      const r = await runCli(['--config', ws.configPath, 'backup'], { cwd: ws.dir, env: ws.env });
      expect(lifecycle).toMatch(/<ID>engify-migrate-backups<\/ID>/);
      expect(lifecycle).toMatch(/<Prefix>backups\/<\/Prefix>/);
      expect(lifecycle).toMatch(/<Days>14<\/Days>/);
      expect(lifecycle).toMatch(/<DaysAfterInitiation>1<\/DaysAfterInitiation>/);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/with KMS key alias\/engify-backups \(access denied\)/);
      expect(r.stderr).toMatch(/kms:GenerateDataKey/);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
