import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesCopy } from '../../../src/components/files/files-copy.js';
import { filesReversePass } from '../../../src/components/files/files-passes.js';
import type { Check } from '../../../src/core/step.js';
import type { EngineSession } from '../../../src/engine/session.js';
import { fileFlagStore } from '../../../src/flags/file-store.js';
import type { Mode } from '../../../src/flags/modes.js';
import { type S3rverProcess, startS3rverProcess } from '../../../src/sandbox/s3rver-process.js';
import { type StorageStandIn, startSupabaseStorageApi } from '../../../src/sandbox/supabase-storage-api.js';
import {
  createBucket,
  filesConfig,
  SERVICE_KEY,
  s3Client,
  seedBucket,
} from '../../helpers/files-fixtures.js';
import { openTestSession } from '../../helpers/session.js';

// files.copy's verify in every state of the files flag, through the real flag store, the Storage API
// stand-in, s3rver and the real reverse pass: copy -> cutover (flag target) -> the app writes S3 ->
// verify -> reverse pass -> rollback (flag source) -> verify -> the cutover gate would pass again.

let s3rver: S3rverProcess;
let api: StorageStandIn;
let s3: S3Client;
const sessions: EngineSession[] = [];
const TARGET = 'files-verify-modes';
let config: Record<string, unknown>;
let flagsPath: string;
let originalBody: Buffer;

const session = () => {
  const s = openTestSession(config);
  sessions.push(s);
  return s;
};
const verify = () => filesCopy.verify(session().context(filesCopy));
/** The cutover gate's rule (engine/cutover.ts): a check blocks when it failed and was not skipped. */
const EXTRA_FAILS = [
  'files media: object count',
  'files media: total bytes',
  'files media: no objects on the target that Supabase lacks',
];
const blocking = (checks: Check[]) => checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);
const named = (checks: Check[], fragment: string) => checks.filter((c) => c.name.includes(fragment));
async function setFlag(mode: Mode) {
  const store = fileFlagStore(flagsPath);
  const { version } = (await store.read()).files;
  await store.set('files', mode, version, 'files-verify-test');
}
const put = (key: string, body: string, metadata?: Record<string, string>) =>
  s3.send(
    new PutObjectCommand({
      Bucket: TARGET,
      Key: key,
      Body: body,
      ContentType: 'text/plain',
      Metadata: metadata,
    }),
  );

beforeAll(async () => {
  [s3rver, api] = await Promise.all([
    startS3rverProcess(),
    startSupabaseStorageApi({ serviceKey: SERVICE_KEY }),
  ]);
  s3 = s3Client(s3rver.endpoint);
  api.createBucket('media', { public: false });
  seedBucket(api, 'media');
  await createBucket(s3, TARGET);
  const dir = mkdtempSync(join(tmpdir(), 'engify-files-verify-'));
  flagsPath = join(dir, 'flags.json');
  config = {
    ...filesConfig({
      s3Endpoint: s3rver.endpoint,
      targetBucket: TARGET,
      apiUrl: api.url,
      buckets: ['media'],
      stateDir: join(dir, 'state'),
    }),
    flags: { store: 'file', path: flagsPath },
  };
  const s = session();
  const ctx = s.context(filesCopy);
  for (const change of await filesCopy.plan(ctx)) await filesCopy.apply(ctx, change);
}, 60_000);

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  s3?.destroy();
  await Promise.all([s3rver?.stop(), api?.stop()]);
});

describe('files.copy verify follows the files flag', () => {
  it('without a flag store, and with the flag at source, Storage is the truth: an app write on S3 fails verify', async () => {
    expect(blocking(await verify())).toEqual([]);
    await fileFlagStore(flagsPath).create('files-verify-test');
    await put('media/early.txt', 'written on S3 before cutover');
    const checks = await verify();
    expect(blocking(checks)).toEqual(EXTRA_FAILS);
    expect(named(checks, 'after cutover')).toEqual([]);
    await s3.send(new DeleteObjectCommand({ Bucket: TARGET, Key: 'media/early.txt' }));
    expect(blocking(await verify())).toEqual([]);
  });

  it('at target, what the app wrote or rewrote on S3 is reported, not failed; a Storage-side change still fails', async () => {
    await setFlag('target');
    await put('media/aws/new.txt', 'written by the app on AWS');
    await put('media/plain.txt', 'rewritten by the app on AWS (no marker)');
    const marked = await s3.send(new HeadObjectCommand({ Bucket: TARGET, Key: 'media/deep/a/b/c/d.json' }));
    await put('media/deep/a/b/c/d.json', '{"rewritten":"keeping our metadata"}', marked.Metadata);

    const checks = await verify();
    expect(blocking(checks)).toEqual([]);
    const written = named(checks, 'written on AWS after cutover');
    expect(written).toHaveLength(1);
    expect(written[0]?.name).toBe('files media: written on AWS after cutover: 3');
    expect(written[0]?.skipped).toBe(true);
    expect((written[0]?.actual as { examples: string[] }).examples.sort()).toEqual([
      'media/aws/new.txt',
      'media/deep/a/b/c/d.json',
      'media/plain.txt',
    ]);
    expect(named(checks, 'deleted on AWS after cutover: 0')).toHaveLength(1);
    // The app's new key is left out of the count; the rewritten keys are on both sides.
    expect(named(checks, 'object count')[0]).toMatchObject({ ok: true, expected: 8, actual: 8 });

    // Storage is not written by the app after cutover: a change there is still a difference.
    const original = api.objects('media').find((o) => o.name === 'percent%41literal.txt');
    originalBody = readFileSync(original?.file ?? '');
    api.putObject('media', 'percent%41literal.txt', Buffer.from('changed on Supabase after cutover'), {
      mimetype: 'text/plain',
    });
    const failing = await verify();
    expect(blocking(failing)).toEqual([
      'files media: total bytes',
      'files media: size and SHA-256 of every object',
    ]);
    const hashes = named(failing, 'SHA-256')[0]?.actual as { examples: { name: string }[] };
    expect(hashes.examples.map((e) => e.name)).toEqual(['percent%41literal.txt']);
  });

  it('after the reverse pass, the carried objects verify equal on both sides; at source after rollback too; the gate would pass', async () => {
    api.putObject('media', 'percent%41literal.txt', originalBody, { mimetype: 'text/plain' });
    // Sync runs passes until there is nothing left (the first one trusts our marker; a later one re-hashes
    // marked objects modified since, which finds d.json).
    let carried = 0;
    for (let i = 0; i < 3; i++) {
      const pass = await filesReversePass(session().context({ id: 'sync.files' }));
      expect(pass.refused).toEqual([]);
      carried += pass.applied;
      if (pass.applied === 0) break;
    }
    expect(carried).toBe(3); // aws/new.txt, plain.txt, deep/a/b/c/d.json

    const atTarget = await verify();
    expect(blocking(atTarget)).toEqual([]);
    expect(named(atTarget, 'written on AWS after cutover: 0')).toHaveLength(1);
    expect(named(atTarget, 'object count')[0]).toMatchObject({ ok: true, expected: 9, actual: 9 });

    // Rollback: reverse drained above, flag back to source. Storage is the truth again, and the
    // objects the reverse pass carried (no stored hash of ours on S3) verify as equal.
    await setFlag('source');
    const atSource = await verify();
    expect(blocking(atSource)).toEqual([]);
    expect(named(atSource, 'after cutover')).toEqual([]);
    expect(named(atSource, 'object count')[0]).toMatchObject({ ok: true, expected: 9, actual: 9 });
    expect(named(atSource, 'SHA-256')[0]).toMatchObject({ ok: true, actual: { mismatches: 0 } });

    // Still strict at source: an uncarried app write on S3 fails again.
    await put('media/aws/late.txt', 'written on S3 after the rollback, never carried');
    expect(blocking(await verify())).toEqual(EXTRA_FAILS);
    await s3.send(new DeleteObjectCommand({ Bucket: TARGET, Key: 'media/aws/late.txt' }));
    // What a second cutover runs first (engine/cutover.ts verifyComponent): nothing blocks.
    expect(blocking(await verify())).toEqual([]);
  });
});
