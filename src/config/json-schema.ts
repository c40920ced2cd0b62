import { z } from 'zod';
import { configSchema } from './schema.js';

/** JSON Schema of migrations.config.json, for editors ($schema) and `engify-migrate schema`. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'engify-migrate configuration (migrations.config.json)',
  };
}
