import { describe, expect, it } from 'vitest';
import { EngifyError } from '../../../src/core/errors.js';
import { fileFlagStore } from '../../../src/flags/file-store.js';

describe('file flag store', () => {
  it('fails with a config error naming the folder when flags.path cannot be created (no spin under /proc)', async () => {
    const store = fileFlagStore('/proc/engify-flags/flags.json');
    const error = await store.create('test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngifyError);
    expect((error as EngifyError).kind).toBe('config');
    expect((error as EngifyError).message).toContain('/proc/engify-flags');
  });
});
