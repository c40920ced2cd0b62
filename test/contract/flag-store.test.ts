import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dynamoFlagStore } from '../../src/flags/dynamodb-store.js';
import { fileFlagStore } from '../../src/flags/file-store.js';
import { FLAG_COMPONENTS, type FlagComponent } from '../../src/flags/modes.js';
import { createFlagReader, type FlagSource } from '../../src/flags/reader.js';
import { FlagConflictError, type FlagStore } from '../../src/flags/store.js';

// One FlagStore contract, run through the same cases against every store: the JSON file and the
// DynamoDB table (on dynalite from the test stack). The app-facing reader is checked over each, since
// it reads the store's own shape (file JSON / DynamoDB items) without going through the store.

interface Subject {
  store: FlagStore;
  /** What the app passes to createFlagReader to read this same store. */
  readerSource: FlagSource;
  /** Removes one component's record behind the store's back (a store created by an older version). */
  dropComponent(component: FlagComponent): Promise<void>;
}

interface Implementation {
  name: string;
  make(): Subject;
}

let seq = 0;
const dynamoClients: DynamoDBClient[] = [];
const dirs: string[] = [];

const implementations: Implementation[] = [
  {
    name: 'file store',
    make() {
      const dir = mkdtempSync(join(tmpdir(), 'engify-flag-contract-'));
      dirs.push(dir);
      const path = join(dir, 'nested', 'flags.json');
      return {
        store: fileFlagStore(path),
        readerSource: { file: path },
        async dropComponent(component) {
          const state = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
          delete state[component];
          writeFileSync(path, JSON.stringify(state));
        },
      };
    },
  },
  {
    name: 'DynamoDB store (dynalite)',
    make() {
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: inject('stack').endpoints.dynamodb,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      });
      dynamoClients.push(client);
      const table = `flag-contract-${process.pid}-${++seq}`;
      return {
        store: dynamoFlagStore(client, table),
        readerSource: { dynamodb: { table, client } },
        async dropComponent(component) {
          await client.send(
            new DeleteItemCommand({ TableName: table, Key: { component: { S: component } } }),
          );
        },
      };
    },
  },
];

afterAll(() => {
  for (const c of dynamoClients) c.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each(implementations)('FlagStore contract: $name', ({ make }) => {
  it('does not exist before create, exists after, and not after destroy (destroy is idempotent)', async () => {
    const { store } = make();
    expect(typeof store.location).toBe('string');
    expect(await store.exists()).toBe(false);
    await store.destroy(); // nothing to destroy: no error
    await store.create('op');
    expect(await store.exists()).toBe(true);
    await store.destroy();
    expect(await store.exists()).toBe(false);
    await store.destroy();
  });

  it('create puts every component at source, version 1, by the creator', async () => {
    const { store } = make();
    await store.create('creator');
    const state = await store.read();
    expect(Object.keys(state).sort()).toEqual([...FLAG_COMPONENTS].sort());
    for (const c of FLAG_COMPONENTS) {
      expect(state[c].mode).toBe('source');
      expect(state[c].version).toBe(1);
      expect(state[c].updatedBy).toBe('creator');
      expect(Number.isNaN(Date.parse(state[c].updatedAt))).toBe(false);
    }
    await store.destroy();
  });

  it('create again is a no-op for components present, and adds only those missing', async () => {
    const subject = make();
    const { store } = subject;
    await store.create('first');
    const v = (await store.read()).db.version;
    await store.set('db', 'draining', v, 'op-a');
    await subject.dropComponent('files');
    await store.create('second');
    const state = await store.read();
    expect(state.db).toMatchObject({ mode: 'draining', version: v + 1, updatedBy: 'op-a' });
    expect(state.auth).toMatchObject({ mode: 'source', version: 1, updatedBy: 'first' });
    expect(state.files).toMatchObject({ mode: 'source', version: 1, updatedBy: 'second' });
    await store.destroy();
  });

  it('read fails (does not invent a mode) when a component record is missing', async () => {
    const subject = make();
    await subject.store.create('op');
    await subject.dropComponent('vectors');
    await expect(subject.store.read()).rejects.toThrow(/vectors/);
    await subject.store.destroy();
  });

  it('set is a compare-and-set on the version: bumps it, records who, refuses a stale version', async () => {
    const { store } = make();
    await store.create('op');
    const before = await store.read();
    await store.set('vectors', 'draining', before.vectors.version, 'op-a');
    const after = await store.read();
    expect(after.vectors).toMatchObject({
      mode: 'draining',
      version: before.vectors.version + 1,
      updatedBy: 'op-a',
    });
    expect(Date.parse(after.vectors.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.vectors.updatedAt));
    // The other components are untouched.
    for (const c of FLAG_COMPONENTS.filter((x) => x !== 'vectors')) expect(after[c]).toEqual(before[c]);
    // A second operator working from the same read loses, and changes nothing.
    const stale = store.set('vectors', 'target', before.vectors.version, 'op-b');
    await expect(stale).rejects.toBeInstanceOf(FlagConflictError);
    await expect(stale).rejects.toThrow(/vectors/);
    expect((await store.read()).vectors).toEqual(after.vectors);
    // A version from the future is as stale as one from the past.
    await expect(store.set('vectors', 'target', after.vectors.version + 5, 'op-c')).rejects.toBeInstanceOf(
      FlagConflictError,
    );
    await store.set('vectors', 'target', after.vectors.version, 'op-b');
    expect((await store.read()).vectors.mode).toBe('target');
    await store.destroy();
  });

  it('two concurrent sets from the same version: exactly one wins', async () => {
    const { store } = make();
    await store.create('op');
    const v = (await store.read()).auth.version;
    const results = await Promise.allSettled([
      store.set('auth', 'draining', v, 'a'),
      store.set('auth', 'target', v, 'b'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(FlagConflictError);
    expect((await store.read()).auth.version).toBe(v + 1);
    await store.destroy();
  });

  it('set on a store that was never created fails and creates nothing', async () => {
    const { store } = make();
    await expect(store.set('db', 'target', 1, 'op')).rejects.toThrow();
    expect(await store.exists()).toBe(false);
  });

  it('set on a component whose record is missing fails and does not create a half record', async () => {
    const subject = make();
    await subject.store.create('op');
    await subject.dropComponent('hosting');
    await expect(subject.store.set('hosting', 'target', 1, 'op')).rejects.toThrow();
    await expect(subject.store.read()).rejects.toThrow(/hosting/);
    await subject.store.create('op'); // repairs it, at source
    expect((await subject.store.read()).hosting).toMatchObject({ mode: 'source', version: 1 });
    await subject.store.destroy();
  });

  it('the app-facing reader sees what the store wrote, after its TTL on an injected clock', async () => {
    const { store, readerSource } = make();
    await store.create('op');
    let clock = 0;
    const reader = createFlagReader({ source: readerSource, ttlMs: 1000, now: () => clock });
    for (const c of FLAG_COMPONENTS) expect(await reader.mode(c)).toBe('source');
    expect(await reader.useTarget('db')).toBe(false);
    expect(await reader.oldSideReadOnly('db')).toBe(false);
    await store.set('db', 'draining', (await store.read()).db.version, 'op');
    clock += 999;
    expect(await reader.mode('db')).toBe('source'); // cached until the TTL runs out
    clock += 1;
    expect(await reader.mode('db')).toBe('draining');
    expect(await reader.useTarget('db')).toBe(false);
    expect(await reader.oldSideReadOnly('db')).toBe(true);
    await store.set('db', 'target', (await store.read()).db.version, 'op');
    clock += 1000;
    expect(await reader.useTarget('db')).toBe(true);
    await store.set('db', 'done', (await store.read()).db.version, 'op');
    clock += 1000;
    expect(await reader.mode('db')).toBe('done');
    expect(await reader.useTarget('db')).toBe(true);
    expect(await reader.mode('auth')).toBe('source');
    reader.close();
    await store.destroy();
  });

  it('the reader keeps the last modes it saw when the store goes away, and reports the error', async () => {
    const { store, readerSource } = make();
    await store.create('op');
    await store.set('files', 'target', (await store.read()).files.version, 'op');
    let clock = 0;
    const errors: unknown[] = [];
    const reader = createFlagReader({
      source: readerSource,
      ttlMs: 10,
      now: () => clock,
      onError: (e) => errors.push(e),
    });
    expect(await reader.mode('files')).toBe('target');
    await store.destroy();
    clock += 10;
    expect(await reader.mode('files')).toBe('target');
    expect(errors).toHaveLength(1);
    // Backs off for one TTL: no second read (and no second error) inside it.
    clock += 5;
    expect(await reader.mode('files')).toBe('target');
    expect(errors).toHaveLength(1);
    reader.close();
  });

  it('the reader answers the fallback before any successful read', async () => {
    const { readerSource } = make();
    const errors: unknown[] = [];
    const safe = createFlagReader({ source: readerSource, onError: (e) => errors.push(e) });
    expect(await safe.mode('hosting')).toBe('source');
    expect(errors).toHaveLength(1);
    const chosen = createFlagReader({ source: readerSource, fallback: 'target' });
    expect(await chosen.useTarget('hosting')).toBe(true);
    safe.close();
    chosen.close();
  });
});
