import type { Config } from '../../config/schema.js';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import type { HostingSource, SourceEnvVar } from '../../core/hosting-source.js';
import { messages } from '../../core/messages.js';
import type { Check, StepContext } from '../../core/step.js';
import { type AmplifyOps, amplifyOps } from '../../providers/amplify/app.js';
import { type SecretStore, secretsManagerStore, ssmStore } from '../../providers/secrets/secret-store.js';
import { type AppConnection, targetCapabilities, targetDb } from '../db/target-db.js';
import {
  AMPLIFY_ENV_VALUE_MAX,
  type AmplifyConfig,
  type AwsValue,
  type AwsValues,
  type RewriteProblem,
  type RewriteResult,
  rewriteEnv,
} from './env-rewrite.js';
import { configuredHostingSources } from './hosting-sources.js';

// What the three hosting steps share: which source is the frontend (Amplify) and which the backend
// (Render service whose variables go to Secrets Manager), the AWS values phase 1 produced, naming of
// secrets, and turning rewrite problems into errors that say what to do.

export const APP_STEP = 'hosting.app';
const m = messages.hosting;

export function hostingEnabled(config: Config): boolean {
  return configuredHostingSources(config).length > 0 && config.target.amplify !== undefined;
}

export function amplifyConfig(ctx: StepContext): AmplifyConfig {
  const a = ctx.config.target.amplify;
  if (!a)
    throw new EngifyError({
      code: 'CONFIG_SECTION_MISSING',
      kind: 'config',
      message: messages.config.needsSection('target.amplify', APP_STEP),
    });
  return a;
}

/** The project Amplify hosts: the first configured source that can be a frontend (hosting-sources.ts). */
export function frontendSource(ctx: StepContext): HostingSource {
  const found = configuredHostingSources(ctx.config, { signal: ctx.signal }).find((s) =>
    s.entry.roles.includes('frontend'),
  );
  if (found) return found.source;
  throw new EngifyError({ code: 'HOSTING_NO_SOURCE', kind: 'config', message: m.noSource, hint: m.noSource });
}

/**
 * The backend service, if any: a source that can host one, next to another source that is the frontend
 * (a Render service beside a Vercel project), or the frontend source itself when its service is not a
 * static site.
 */
export async function backendSource(
  ctx: StepContext,
): Promise<{ source: HostingSource; name: string } | undefined> {
  const all = configuredHostingSources(ctx.config, { signal: ctx.signal });
  const frontend = all.find((s) => s.entry.roles.includes('frontend'));
  const backend = all.find((s) => s.entry.roles.includes('backend'));
  if (!backend) return undefined;
  const settings = await backend.source.settings();
  if (backend === frontend && settings.serviceType === 'static_site') return undefined;
  return { source: backend.source, name: settings.name };
}

/** The env rewrite's default rules: a URL for a direct target, the Data API's ARNs otherwise. */
export function rdsModeOf(
  connection: 'url' | 'data-api' | undefined,
  ctx: StepContext,
): 'pg' | 'data-api' | undefined {
  if (connection) return connection === 'url' ? 'pg' : 'data-api';
  const rds = ctx.config.target.rds;
  return rds ? (targetCapabilities(rds).sessionSql ? 'pg' : 'data-api') : undefined;
}

/** The database as the app reaches it (components/db/target-db.ts), or why it cannot be told yet. */
async function appDatabase(ctx: StepContext): Promise<AppConnection | { missing: 'output' } | undefined> {
  if (!ctx.config.target.rds) return undefined;
  try {
    return (await targetDb(ctx, 'hosting.env')).app;
  } catch (error) {
    if (error instanceof EngifyError && error.code === 'DB_INSTANCE_NOT_READY') return { missing: 'output' };
    throw error;
  }
}

export async function awsValues(ctx: StepContext): Promise<AwsValues & { connection?: 'url' | 'data-api' }> {
  const { target } = ctx.config;
  const out = (step: string, key: string, configured: unknown, field: string) => {
    if (configured === undefined) return { missing: 'config' as const, field };
    const v = ctx.journal.outputOf(step, key);
    return typeof v === 'string' ? { value: v } : { missing: 'output' as const, step, key };
  };
  const db = await appDatabase(ctx);
  const pending = db && 'missing' in db;
  const url = db && !('missing' in db) && db.kind === 'url' ? db : undefined;
  const api = db && !('missing' in db) && db.kind === 'data-api' ? db : undefined;
  const apiValue = (v: string | undefined): AwsValue =>
    v !== undefined ? { value: v } : { missing: 'config', field: 'target.rds (mode "data-api")' };
  return {
    ...(url ? { connection: 'url' as const } : api ? { connection: 'data-api' as const } : {}),
    region: { value: target.aws.region },
    userPoolId: out('auth.pool', 'userPoolId', target.cognito, 'target.cognito'),
    appClientId: out('auth.pool', 'appClientId', target.cognito, 'target.cognito'),
    vectorTable: out('vectors.table', 'table', target.dynamodb, 'target.dynamodb'),
    bucket: out('files.bucket', 'bucket', target.s3, 'target.s3'),
    // The URL carries the password: it is a secret wherever it goes.
    databaseUrl: url
      ? { value: url.url, secret: true }
      : pending
        ? { missing: 'output', step: 'db.instance', key: 'endpoint' }
        : { missing: 'config', field: 'target.rds (mode "pg")' },
    databaseResourceArn: apiValue(api?.resourceArn),
    databaseSecretArn: apiValue(api?.secretArn),
    databaseName: apiValue(api?.database),
  };
}

export async function rewrite(ctx: StepContext, vars: SourceEnvVar[]): Promise<RewriteResult> {
  const values = await awsValues(ctx);
  const result = rewriteEnv(vars, amplifyConfig(ctx), values, rdsModeOf(values.connection, ctx));
  // Every value headed for a secret store is redacted from here on, wherever it might surface.
  for (const v of result.vars) if (v.secret && v.value) ctx.redactor.add(v.value);
  return result;
}

export function problemLines(problems: RewriteProblem[]): string[] {
  return problems.map((p) => {
    switch (p.kind) {
      case 'unreadable':
        return m.sensitiveMissing([{ key: p.key, local: p.localSource }]);
      case 'missing-output':
        return m.outputMissing(p.from, p.step, p.key);
      case 'missing-config':
        return m.configMissing(p.from, p.field, p.key);
      case 'reserved-name':
        return m.envNameReserved(p.key);
      default:
        return m.envTooLong(p.key, p.length, AMPLIFY_ENV_VALUE_MAX);
    }
  });
}

/** The first problem as an error naming the variable and what to do (all of them are in the plan). */
export function problemError(problems: RewriteProblem[]): EngifyError | undefined {
  const unreadable = problems.filter((p) => p.kind === 'unreadable');
  if (unreadable.length > 0)
    return new EngifyError({
      code: 'HOSTING_SENSITIVE_UNREADABLE',
      kind: 'config',
      message: m.sensitiveMissing(unreadable.map((p) => ({ key: p.key, local: p.localSource }))),
      hint: m.sensitiveMissingHint(unreadable.map((p) => p.key)),
    });
  const p = problems[0];
  if (!p) return undefined;
  const [code, hint] =
    p.kind === 'missing-output'
      ? ['HOSTING_OUTPUT_MISSING', m.outputMissingHint]
      : p.kind === 'missing-config'
        ? ['HOSTING_CONFIG_MISSING', m.configMissingHint(p.field)]
        : p.kind === 'reserved-name'
          ? ['HOSTING_ENV_NAME', m.envNameReservedHint(p.key)]
          : ['HOSTING_ENV_TOO_LONG', m.envTooLongHint(p.key)];
  return new EngifyError({ code, kind: 'config', message: problemLines([p])[0] as string, hint });
}

export async function ops(ctx: StepContext): Promise<AmplifyOps> {
  return amplifyOps(await ctx.services.amplify());
}

export async function secretStore(ctx: StepContext, kind: 'secrets-manager' | 'ssm'): Promise<SecretStore> {
  return kind === 'ssm'
    ? ssmStore(await ctx.services.ssm())
    : secretsManagerStore(await ctx.services.secretsManager(), ctx.config.project);
}

export function appId(ctx: StepContext): string | undefined {
  const v = ctx.journal.outputOf(APP_STEP, 'appId');
  return typeof v === 'string' ? v : undefined;
}

export function requireAppId(ctx: StepContext): string {
  const id = appId(ctx);
  if (!id)
    throw new EngifyError({
      code: 'HOSTING_APP_MISSING',
      kind: 'config',
      message: m.appMissing(amplifyConfig(ctx).appName),
      hint: m.appMissingHint,
    });
  return id;
}

/** Where a secret variable lives: a Secrets Manager name, or Amplify's environment-secret SSM path. */
export function secretName(ctx: StepContext, key: string, app: string | undefined): string {
  const a = amplifyConfig(ctx);
  return a.secretStore === 'ssm'
    ? `/amplify/${app ?? '<appId>'}/${a.branch}/${key}`
    : `engify/${ctx.config.project}/${a.appName}/${key}`;
}

export function secretsPrefix(ctx: StepContext): string {
  const a = amplifyConfig(ctx);
  return `engify/${ctx.config.project}/${a.appName}/`;
}

export function backendSecretName(ctx: StepContext, service: string): string {
  return `engify/${ctx.config.project}/backend/${service.replace(/[^A-Za-z0-9/_+=.@-]/g, '-')}`;
}

export function details(value: Record<string, Json>): Json {
  return value;
}

/** verify's failed Check when the target could not be read at all (verify never throws). */
export function unreadableCheck(name: string, error: unknown): Check {
  return {
    name,
    expected: 'readable',
    actual: error instanceof Error ? error.message : String(error),
    ok: false,
    hint: error instanceof EngifyError ? error.hint : undefined,
  };
}
