import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadedConfig, parseConfig } from '../../src/core/load-config.js';
import { EngineSession, type SessionOptions } from '../../src/engine/session.js';

/** A real config (through the real loader) in a fresh temp folder, for tests that drive steps directly. */
export function loadTestConfig(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const dir = mkdtempSync(join(tmpdir(), 'engify-test-'));
  const path = join(dir, 'migrations.config.json');
  const raw = JSON.stringify(config, null, 2);
  writeFileSync(path, raw);
  return parseConfig(raw, path, env);
}

/** A real engine session (journal, services) over a test config. Close it in afterEach/afterAll. */
export function openTestSession(
  config: Record<string, unknown>,
  options: SessionOptions = {},
): EngineSession {
  return new EngineSession(loadTestConfig(config), options);
}
