// The package's public entry (`import ... from 'engify-migrate'`): what an application or a script
// that drives the migration may rely on across versions. It is deliberately small and loads nothing of
// the CLI, the engine or the AWS SDK (the DynamoDB flag source imports its client lazily). Everything
// else under dist/ is internal and not exported.

// Types only (erased at runtime): for code that writes or reads migrations.config.json.
export type { Config } from './config/schema.js';
export { FLAG_COMPONENTS, type FlagComponent, isMode, MODES, type Mode } from './flags/modes.js';
export {
  createFlagReader,
  type FlagReader,
  type FlagReaderOptions,
  type FlagSource,
} from './flags/reader.js';
