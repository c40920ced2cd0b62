import type { FlagsConfig } from '../config/schema.js';
import type { Services } from '../core/services.js';
import { dynamoFlagStore } from './dynamodb-store.js';
import { fileFlagStore } from './file-store.js';
import type { FlagStore } from './store.js';

export async function openFlagStore(config: FlagsConfig, services: Services): Promise<FlagStore> {
  if (config.store === 'file') return fileFlagStore(config.path);
  return dynamoFlagStore(await services.dynamodb(), config.table);
}
