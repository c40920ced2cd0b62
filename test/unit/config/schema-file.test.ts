import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../src/config/json-schema.js';
import { parseConfig } from '../../../src/core/load-config.js';
import { ROOT } from '../../helpers/cli.js';

describe('shipped config files', () => {
  it('schema/migrations.config.schema.json is what `engify-migrate schema` generates', () => {
    const shipped = JSON.parse(readFileSync(join(ROOT, 'schema', 'migrations.config.schema.json'), 'utf8'));
    expect(shipped).toEqual(configJsonSchema());
  });

  it('the example migrations.config.json is valid once its variables are set', () => {
    const raw = readFileSync(join(ROOT, 'migrations.config.json'), 'utf8');
    const vars = [...raw.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!);
    const env = Object.fromEntries(vars.map((v) => [v, `value-of-${v}`]));
    const loaded = parseConfig(raw, join(ROOT, 'migrations.config.json'), env);
    expect(loaded.config.project).toBe('chatbot-builder');
    expect(loaded.redactor.redact(JSON.stringify(loaded.config))).not.toContain(
      'value-of-SUPABASE_SERVICE_ROLE_KEY',
    );
  });
});
