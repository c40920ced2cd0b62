import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { type Interpolated, interpolate } from '../config/interpolate.js';
import { Redactor } from '../config/redact.js';
import { type Config, configSchema, SECRET_FIELDS } from '../config/schema.js';
import { EngifyError } from './errors.js';
import { messages } from './messages.js';

/**
 * Paths whose values name things (regions, endpoints, buckets, tables, pools) rather than grant access.
 * Values reaching them through ${VAR} are not redacted: redacting them would mangle ids and ARNs in the
 * journal. Every other ${VAR} value is treated as a secret, whatever the variable is called.
 */
const NAMES_A_RESOURCE =
  /(^|\.)(project|stateDir|region|profile|endpoints\.[a-zA-Z]+|bucket|buckets\.\d+|schemas\.\d+|collections\.\d+|[a-zA-Z]*Name|vectorTable|table|branch|domain|database|mode|projectId|teamId|serviceId|s3Region)$/;

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file the config came from. */
  path: string;
  /** Absolute state directory (config.stateDir resolved against the config file's folder). */
  stateDir: string;
  redactor: Redactor;
  /** The config text before interpolation: hashed into plans so a changed config makes a plan stale. */
  raw: string;
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const absolute = resolve(path);
  let raw: string;
  try {
    raw = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EngifyError({
      code: 'CONFIG_NOT_FOUND',
      kind: 'config',
      message:
        code === 'ENOENT'
          ? messages.config.notFound(absolute)
          : messages.config.unreadable(absolute, String(code)),
      hint: messages.config.notFoundHint,
    });
  }
  return parseConfig(raw, absolute, env);
}

export function parseConfig(
  raw: string,
  absolutePath: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new EngifyError({
      code: 'CONFIG_MALFORMED',
      kind: 'config',
      message: messages.config.malformed(absolutePath, describeJsonError(raw, error)),
      hint: messages.config.malformedHint,
    });
  }

  const interpolated: Interpolated = interpolate(json, env);
  if (interpolated.missing.length > 0) {
    const lines = interpolated.missing.map((m) =>
      m.empty ? messages.config.emptyEnv(m.path, m.variable) : messages.config.missingEnv(m.path, m.variable),
    );
    const unset = [...new Set(interpolated.missing.filter((m) => !m.empty).map((m) => m.variable))];
    const empty = [...new Set(interpolated.missing.filter((m) => m.empty).map((m) => m.variable))];
    throw new EngifyError({
      code: 'CONFIG_ENV_MISSING',
      kind: 'config',
      message: messages.config.invalid(absolutePath, lines),
      hint: [
        ...(unset.length > 0 ? [messages.config.missingEnvHint(unset)] : []),
        ...(empty.length > 0 ? [messages.config.emptyEnvHint(empty)] : []),
      ].join(' '),
    });
  }

  const redactor = new Redactor();
  for (const secret of interpolated.secrets)
    if (!NAMES_A_RESOURCE.test(secret.path)) redactor.add(secret.value);
  collectSecrets(interpolated.value, redactor);

  const parsed = configSchema.safeParse(interpolated.value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => formatIssue(issue, interpolated.value, redactor));
    throw new EngifyError({
      code: 'CONFIG_INVALID',
      kind: 'config',
      message: messages.config.invalid(absolutePath, lines),
      hint: messages.config.invalidHint,
    });
  }
  const config = parsed.data;
  const stateDir = isAbsolute(config.stateDir)
    ? config.stateDir
    : resolve(dirname(absolutePath), config.stateDir);
  if (config.flags.store === 'file' && !isAbsolute(config.flags.path)) {
    config.flags.path = resolve(dirname(absolutePath), config.flags.path);
  }
  return { config, path: absolutePath, stateDir, redactor, raw };
}

function collectSecrets(value: unknown, redactor: Redactor): void {
  for (const field of SECRET_FIELDS) {
    const found = getPath(value, field.split('.'));
    if (typeof found === 'string') redactor.add(found);
  }
  // Passwords embedded in connection URLs are secrets wherever they appear.
  walkStrings(value, (s) => {
    if (!/^postgres(ql)?:\/\//.test(s)) return;
    try {
      const u = new URL(s);
      if (u.password) {
        redactor.add(decodeURIComponent(u.password));
        redactor.add(u.password);
      }
    } catch {
      // Not a URL: validation reports it.
    }
  });
}

function walkStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) for (const v of value) walkStrings(v, visit);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) walkStrings(v, visit);
}

function getPath(value: unknown, path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function formatIssue(issue: z.core.$ZodIssue, root: unknown, redactor: Redactor): string {
  const path = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length === 0 ? '' : `${path}.`;
    return messages.config.unknownKeys(issue.keys.map((k) => `${where}${k}`));
  }
  const actual = getPath(root, issue.path as (string | number)[]);
  let got: string;
  if (actual === undefined) got = 'nothing (the key is missing)';
  else if (typeof actual === 'string') got = JSON.stringify(redactor.redact(actual));
  else if (actual === null) got = 'null';
  else if (Array.isArray(actual)) got = 'an array';
  else if (typeof actual === 'object') got = 'an object';
  else got = `${typeof actual} ${String(actual)}`;
  let message = issue.message;
  if (issue.code === 'invalid_type') message = `expected ${issue.expected}`;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    message = `expected one of ${issue.options.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return messages.config.issue(path, message, got);
}

function describeJsonError(raw: string, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const match = /position (\d+)/.exec(text);
  if (!match) return text;
  const position = Number(match[1]);
  const before = raw.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `${text.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}
