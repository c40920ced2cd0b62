import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { dynamoFlagStore } from '../../../src/flags/dynamodb-store.js';
import { fileFlagStore } from '../../../src/flags/file-store.js';
import { createFlagReader } from '../../../src/flags/reader.js';
import { FlagConflictError } from '../../../src/flags/store.js';

describe('flag stores and the app-facing reader', () => {
  it('file store: compare-and-set, and a cached reader that sees a flip after its TTL', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'engify-flags-')), 'flags.json');
    const store = fileFlagStore(path);
    await store.create('test');
    let clock = 1_000;
    const now = () => clock;
    const reader = createFlagReader({ source: { file: path }, ttlMs: 50, now });
    expect(await reader.mode('db')).toBe('source');
    const before = await store.read();
    await store.set('db', 'target', before.db.version, 'test');
    await expect(store.set('db', 'source', before.db.version, 'test')).rejects.toBeInstanceOf(
      FlagConflictError,
    );
    expect(await reader.mode('db')).toBe('source'); // still cached
    clock += 49;
    expect(await reader.mode('db')).toBe('source'); // one ms before the TTL runs out
    clock += 1;
    expect(await reader.mode('db')).toBe('target');
    expect(await reader.useTarget('db')).toBe(true);
    expect(await reader.useTarget('auth')).toBe(false);
    // The store disappears: the reader keeps the last modes it saw instead of flipping traffic back.
    const errors: unknown[] = [];
    const r2 = createFlagReader({ source: { file: path }, ttlMs: 10, onError: (e) => errors.push(e), now });
    expect(await r2.mode('db')).toBe('target');
    rmSync(path);
    clock += 10;
    expect(await r2.mode('db')).toBe('target');
    expect(errors.length).toBe(1);
    // Never read successfully: the safe default.
    const r3 = createFlagReader({ source: { file: path }, fallback: 'source' });
    expect(await r3.mode('files')).toBe('source');
  });

  it('DynamoDB store on dynalite: create is idempotent, versions guard concurrent flips', async () => {
    const stack = inject('stack');
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: stack.endpoints.dynamodb,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const table = `flags-${process.pid}-${Date.now()}`;
    const store = dynamoFlagStore(client, table);
    expect(await store.exists()).toBe(false);
    await store.create('test');
    await store.create('test');
    const state = await store.read();
    expect(state.vectors.mode).toBe('source');
    await store.set('vectors', 'draining', state.vectors.version, 'op-a');
    await expect(store.set('vectors', 'target', state.vectors.version, 'op-b')).rejects.toBeInstanceOf(
      FlagConflictError,
    );
    const reader = createFlagReader({ source: { dynamodb: { table, client } }, ttlMs: 0 });
    expect(await reader.mode('vectors')).toBe('draining');
    expect(await reader.oldSideReadOnly('vectors')).toBe(true);
    await store.destroy();
    expect(await store.exists()).toBe(false);
    client.destroy();
  });

  it('DynamoDB reader and store follow every page of the Scan (a table over 1 MB)', async () => {
    const stack = inject('stack');
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: stack.endpoints.dynamodb,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const table = `flags-paged-${process.pid}-${Date.now()}`;
    const store = dynamoFlagStore(client, table);
    await store.create('test');
    const state = await store.read();
    for (const c of ['db', 'auth', 'vectors', 'files', 'hosting'] as const)
      await store.set(c, 'target', state[c].version, 'test');
    // Items that are no flags, large enough that one Scan page (1 MB) cannot hold the table.
    for (let i = 0; i < 6; i++) {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { component: { S: `note-${i}` }, text: { S: 'x'.repeat(350_000) } },
        }),
      );
    }
    const first = await client.send(new ScanCommand({ TableName: table }));
    expect(first.LastEvaluatedKey).toBeDefined(); // the table really spans pages
    const reader = createFlagReader({ source: { dynamodb: { table, client } }, ttlMs: 0 });
    for (const c of ['db', 'auth', 'vectors', 'files', 'hosting'] as const) {
      expect(await reader.mode(c)).toBe('target');
      expect((await store.read())[c].mode).toBe('target');
    }
    await store.destroy();
    client.destroy();
  });
});
