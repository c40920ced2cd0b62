import type { Config } from '../../../config/schema.js';
import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { Services } from '../../../core/services.js';
import { apiStorageSource } from './api-source.js';
import { dbStorageSource } from './db-source.js';
import { s3StorageSource } from './s3-source.js';
import { StorageHttp } from './storage-http.js';
import type { StorageMode, StorageSource } from './types.js';

export type { OpenedObject, StorageBucket, StorageMode, StorageObject, StorageSource } from './types.js';

type SupabaseConfig = NonNullable<Config['source']['supabase']>;

/** The listing/reading mode in effect: the configured one, else 'db' when a database URL is set, else 'api'. */
export function storageMode(supabase: SupabaseConfig): StorageMode {
  return supabase.storage?.mode ?? (supabase.dbUrl ? 'db' : 'api');
}

function need(value: string | undefined, field: string, mode: StorageMode): string {
  if (value) return value;
  throw new EngifyError({
    code: 'FILES_SOURCE_CONFIG',
    kind: 'config',
    message: messages.files.missingField(field, mode),
    hint: messages.files.missingFieldHint(field),
  });
}

export function createStorageSource(config: Config, services: Services): StorageSource {
  const supabase = config.source.supabase;
  if (!supabase) {
    throw new EngifyError({
      code: 'FILES_SOURCE_CONFIG',
      kind: 'config',
      message: messages.config.needsSection('source.supabase', 'files.copy'),
    });
  }
  const mode = storageMode(supabase);
  const pageSize = supabase.storage?.pageSize ?? 500;
  const timeoutMs = config.target.aws.requestTimeoutMs;
  const http = () =>
    new StorageHttp({
      apiUrl: need(supabase.apiUrl, 'source.supabase.apiUrl', mode),
      serviceKey: need(supabase.serviceRoleKey, 'source.supabase.serviceRoleKey', mode),
      timeoutMs,
      attempts: config.target.aws.maxAttempts,
    });
  if (mode === 'db') {
    return dbStorageSource({
      services,
      dbUrl: need(supabase.dbUrl, 'source.supabase.dbUrl', mode),
      http: http(),
      pageSize,
    });
  }
  if (mode === 'api') {
    return apiStorageSource({
      apiUrl: need(supabase.apiUrl, 'source.supabase.apiUrl', mode),
      serviceKey: need(supabase.serviceRoleKey, 'source.supabase.serviceRoleKey', mode),
      http: http(),
      pageSize,
      timeoutMs,
    });
  }
  const storage = supabase.storage;
  const api = supabase.apiUrl && supabase.serviceRoleKey ? http() : undefined;
  return s3StorageSource({
    endpoint: need(storage?.s3Endpoint, 'source.supabase.storage.s3Endpoint', mode),
    accessKeyId: need(storage?.s3AccessKeyId, 'source.supabase.storage.s3AccessKeyId', mode),
    secretAccessKey: need(storage?.s3SecretAccessKey, 'source.supabase.storage.s3SecretAccessKey', mode),
    region: storage?.s3Region ?? 'us-east-1',
    pageSize,
    timeoutMs,
    maxAttempts: config.target.aws.maxAttempts,
    publicBuckets: api
      ? async () => {
          const buckets = await api.json<{ id: string; public: boolean }[]>('GET', '/bucket');
          return new Map(buckets.map((b) => [b.id, b.public === true]));
        }
      : undefined,
  });
}
