import { readFile } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { scanFlags } from './dynamodb-codec.js';
import { type FlagComponent, isMode, type Mode } from './modes.js';

// What the application imports (`import { createFlagReader } from 'engify-migrate/flags'`) to know,
// per component, whether to use the old system or AWS. Flipping a flag needs no deploy: the reader
// re-reads the store at most every `ttlMs`. When the store cannot be read, it keeps answering with the
// last mode it saw (so a blip in the flag store never flips traffic), and before any successful read,
// with `fallback` (default `source`: the old system, which forward sync keeps complete).

export type { FlagComponent, Mode } from './modes.js';

export type FlagSource =
  | { file: string }
  | { dynamodb: { table: string; client?: DynamoDBClient; region?: string; endpoint?: string } };

export interface FlagReaderOptions {
  source: FlagSource;
  ttlMs?: number;
  fallback?: Mode;
  /** Called when a read fails (the reader itself never throws); for the app's logs. */
  onError?: (error: unknown) => void;
  /** The clock the TTL is measured on (tests inject one); default Date.now. */
  now?: () => number;
}

export interface FlagReader {
  mode(component: FlagComponent): Promise<Mode>;
  /** True when the app should read from / write to AWS for this component. */
  useTarget(component: FlagComponent): Promise<boolean>;
  /** True while the old side must not be written (cutover draining) or is retired. */
  oldSideReadOnly(component: FlagComponent): Promise<boolean>;
  close(): void;
}

export function createFlagReader(options: FlagReaderOptions): FlagReader {
  const ttl = options.ttlMs ?? 5000;
  const fallback = options.fallback ?? 'source';
  const now = options.now ?? Date.now;
  let cache: { at: number; modes: Partial<Record<FlagComponent, Mode>> } | undefined;
  let lastGood: Partial<Record<FlagComponent, Mode>> = {};
  let inflight: Promise<void> | undefined;
  let ownClient: DynamoDBClient | undefined;

  const load = async (): Promise<Partial<Record<FlagComponent, Mode>>> => {
    if ('file' in options.source) {
      const parsed = JSON.parse(await readFile(options.source.file, 'utf8')) as Record<
        string,
        { mode?: unknown }
      >;
      const out: Partial<Record<FlagComponent, Mode>> = {};
      for (const [k, v] of Object.entries(parsed)) if (isMode(v?.mode)) out[k as FlagComponent] = v.mode;
      return out;
    }
    const d = options.source.dynamodb;
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    if (!d.client && !ownClient) {
      ownClient = new DynamoDBClient({
        ...(d.region ? { region: d.region } : {}),
        ...(d.endpoint ? { endpoint: d.endpoint } : {}),
        maxAttempts: 2,
        requestHandler: { requestTimeout: 2000, connectionTimeout: 1000, throwOnRequestTimeout: true },
      });
    }
    const client = d.client ?? (ownClient as DynamoDBClient);
    const out: Partial<Record<FlagComponent, Mode>> = {};
    for (const [c, record] of Object.entries(await scanFlags(client, d.table)))
      out[c as FlagComponent] = record.mode;
    return out;
  };

  const refresh = async () => {
    try {
      const modes = await load();
      lastGood = modes;
      cache = { at: now(), modes };
    } catch (error) {
      options.onError?.(error);
      // Back off for one TTL so an unreachable store is not hammered on every request.
      cache = { at: now(), modes: lastGood };
    }
  };

  const mode = async (component: FlagComponent): Promise<Mode> => {
    if (!cache || now() - cache.at >= ttl) {
      inflight ??= refresh().finally(() => {
        inflight = undefined;
      });
      await inflight;
    }
    return cache?.modes[component] ?? lastGood[component] ?? fallback;
  };

  return {
    mode,
    useTarget: async (c) => {
      const m = await mode(c);
      return m === 'target' || m === 'done';
    },
    oldSideReadOnly: async (c) => (await mode(c)) !== 'source',
    close: () => ownClient?.destroy(),
  };
}
