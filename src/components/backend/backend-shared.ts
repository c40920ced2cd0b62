import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import type { BACKEND_CAVEATS, BackendConfig, Config } from '../../config/schema.js';
import type { Json } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import type { HostingSettings } from '../../core/hosting-source.js';
import { messages } from '../../core/messages.js';
import type { StepContext } from '../../core/step.js';
import { createRenderSource } from '../../providers/render/render-source.js';
import { rewriteEnv } from '../hosting/env-rewrite.js';
import { awsValues, problemError, rdsModeOf } from '../hosting/hosting-shared.js';
import {
  type BuiltPackage,
  buildPackage,
  checkReadiness,
  LAMBDA_RUNTIME,
  runtimeKind,
  scanSource,
} from './backend-package.js';

// What the three backend steps share: the names of what they create, the Render service as read,
// and the desired function (package, env, layers) computed once per run. Every check that can refuse
// the move (service type, acknowledgements, code, build, size, image region, readiness, routes, the
// pool) runs here, so plan shows it and backend.role's apply stops before the first write.

const m = messages.backend;
export const ROLE_STEP = 'backend.role';
export const FUNCTION_STEP = 'backend.function';
export const API_STEP = 'backend.api';
export const BASIC_EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
export const SECRETS_POLICY = 'engify-read-function-secret';
/** The HTTP API integration gives up at 30 s; the function stops just before. */
export const DEFAULT_TIMEOUT_SECONDS = 29;

/** Memory of Render's instance types (render.com/pricing), as the Lambda default (Lambda's cap: 10,240 MB). */
const RENDER_PLAN_MB: Record<string, number> = {
  free: 512,
  starter: 512,
  standard: 2048,
  pro: 4096,
  pro_plus: 8192,
  pro_max: 10_240,
  pro_ultra: 10_240,
};

/** The Parameters and Secrets extension layer where its account is known (Systems Manager user guide). */
const SECRETS_LAYER_ACCOUNTS: Record<string, string> = {
  'us-east-1': '177933569100',
  'us-west-1': '997803712105',
  'eu-west-1': '015030872274',
  'eu-central-1': '187925254637',
  'ap-northeast-1': '133490724326',
  'sa-east-1': '933737806257',
};

export function backendEnabled(config: Config): boolean {
  return config.backend !== undefined && config.source.render !== undefined;
}

export function backendConfig(ctx: StepContext): BackendConfig {
  const b = ctx.config.backend;
  if (!b || !ctx.config.source.render)
    throw new EngifyError({
      code: 'CONFIG_SECTION_MISSING',
      kind: 'config',
      message: messages.config.needsSection(b ? 'source.render' : 'backend', ROLE_STEP),
    });
  return b;
}

export function names(ctx: StepContext) {
  const b = backendConfig(ctx);
  const fn = b.functionName ?? `${ctx.config.project}-api`;
  return {
    functionName: fn,
    roleName: `${fn}-exec`.slice(0, 64),
    apiName: b.apiName ?? `${ctx.config.project}-api`,
    secretName: `engify/${ctx.config.project}/lambda/${fn}`,
  };
}

export interface Caveat {
  key: (typeof BACKEND_CAVEATS)[number];
  where?: string;
}

export interface Desired {
  settings: HostingSettings;
  caveats: Caveat[];
  code:
    | { kind: 'zip'; pkg: BuiltPackage; runtime: string; handler: string }
    | { kind: 'image'; imageUri: string };
  /** The function's environment as set on Lambda (plain values only, plus the secret's reference). */
  environment: Record<string, string>;
  /** Values that go to the function's secret, never into its environment. */
  secret: Record<string, string>;
  layers: string[];
  memoryMb: number;
  timeoutSeconds: number;
  readinessPath: string;
  /** For the plan: where each variable goes (no values). */
  placements: Json[];
}

const cache = new Map<string, Promise<Desired>>();

export function pool(ctx: StepContext): { userPoolId: string; appClientId: string } | undefined {
  const userPoolId = ctx.journal.outputOf('auth.pool', 'userPoolId');
  const appClientId = ctx.journal.outputOf('auth.pool', 'appClientId');
  return typeof userPoolId === 'string' && typeof appClientId === 'string'
    ? { userPoolId, appClientId }
    : undefined;
}

/** The pool the authorizer trusts; throws (nothing written yet) when it does not exist. */
export function requirePool(ctx: StepContext): { userPoolId: string; appClientId: string } {
  if (!ctx.config.target.cognito)
    throw new EngifyError({
      code: 'BACKEND_POOL_MISSING',
      kind: 'config',
      message: m.poolNotConfigured,
      hint: m.poolNotConfiguredHint,
    });
  const found = pool(ctx);
  if (!found)
    throw new EngifyError({
      code: 'BACKEND_POOL_MISSING',
      kind: 'config',
      message: m.poolMissing(
        `has not been applied (no pool for ${ctx.config.target.cognito.userPoolName} in the journal)`,
      ),
      hint: m.poolMissingHint,
    });
  return found;
}

export function checkRoutes(routes: string[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r)) problems.push(`"${r}" is listed twice`);
    seen.add(r);
  }
  for (const r of routes) {
    const [method, path] = r.split(' ');
    if (method === 'ANY')
      for (const o of routes)
        if (o !== r && o.endsWith(` ${path}`)) problems.push(`"${r}" and "${o}" name the same path`);
  }
  if (problems.length)
    throw new EngifyError({
      code: 'BACKEND_ROUTE_CONFLICT',
      kind: 'config',
      message: m.routeConflict([...new Set(problems)]),
      hint: m.routeConflictHint,
    });
}

async function compute(ctx: StepContext): Promise<Desired> {
  const b = backendConfig(ctx);
  const render = ctx.config.source.render as NonNullable<Config['source']['render']>;
  const source = createRenderSource(render, { signal: ctx.signal });
  const settings = await source.settings();
  const { functionName } = names(ctx);
  if (settings.serviceType !== 'web_service')
    throw new EngifyError({
      code: 'BACKEND_SERVICE_TYPE',
      kind: 'config',
      message: m.serviceType(settings.name, settings.serviceType ?? 'unknown'),
      hint: m.serviceTypeHint(settings.serviceType ?? ''),
    });
  checkRoutes(b.publicRoutes);
  if (b.sourceDir && b.imageUri)
    throw new EngifyError({
      code: 'BACKEND_CODE',
      kind: 'config',
      message: m.bothCode,
      hint: m.bothCodeHint,
    });
  if (!b.sourceDir && !b.imageUri)
    throw new EngifyError({
      code: 'BACKEND_NO_CODE',
      kind: 'config',
      message: m.noCode,
      hint: m.noCodeHint(settings.service?.repo ?? null),
    });
  const sourceDir = b.sourceDir
    ? isAbsolute(b.sourceDir)
      ? b.sourceDir
      : resolve(ctx.configDir, b.sourceDir)
    : undefined;

  // What Lambda runs differently: two always apply, the rest when the service or its code shows them.
  const found = scanSource(sourceDir);
  const caveats: Caveat[] = [
    { key: 'long-requests' },
    { key: 'after-response', where: found.get('after-response') },
  ];
  for (const key of ['websockets', 'workers', 'crons'] as const)
    if (found.has(key)) caveats.push({ key, where: found.get(key) });
  const disk = settings.service?.disk;
  if (disk)
    caveats.push({ key: 'disk', where: `Render disk ${disk.name} at ${disk.mountPath}, ${disk.sizeGB} GB` });
  const missing = caveats.filter((c) => !b.acknowledge.includes(c.key));
  if (missing.length)
    throw new EngifyError({
      code: 'BACKEND_NOT_ACKNOWLEDGED',
      kind: 'config',
      message: m.notAcknowledged(
        settings.name,
        caveats.map((c) => m.caveat(c.key, c.where)),
      ),
      hint: m.notAcknowledgedHint([...new Set([...b.acknowledge, ...missing.map((c) => c.key)])]),
    });

  // Env: the hosting.env rewrite (database -> RDS, Supabase -> Cognito, Qdrant -> DynamoDB); secrets apart.
  const amplify = ctx.config.target.amplify;
  const values = await awsValues(ctx);
  const rewritten = rewriteEnv(
    (await source.envVars()).filter((v) => v.key !== 'PORT'),
    {
      envMapping: amplify?.envMapping ?? {},
      secretKeys: amplify?.secretKeys ?? [],
      plainKeys: amplify?.plainKeys ?? [],
    },
    values,
    rdsModeOf(values.connection, ctx),
  );
  // The provisioned instance's URL exists once db.instance (phase 1) ran; a plan of every phase made
  // before that shows the variable as pending instead of failing. Phase gating keeps phase 3 from
  // applying before phase 1. FIXME: with apply --force skipping phase 1 the function gets no value.
  const pending = rewritten.problems.filter((p) => p.kind === 'missing-output' && p.step === 'db.instance');
  const error = problemError(rewritten.problems.filter((p) => p.kind !== 'too-long' && !pending.includes(p)));
  if (error) throw error;
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  const placements: Json[] = pending.map((p) => ({
    key: p.key,
    to: 'function secret (Secrets Manager)',
    reason: 'the provisioned RDS instance, once db.instance has made it',
  }));
  for (const v of rewritten.vars) {
    if (v.value === undefined) continue;
    if (v.secret) {
      secret[v.key] = v.value;
      ctx.redactor.add(v.value);
    } else plain[v.key] = v.value;
    placements.push({
      key: v.key,
      to: v.secret ? 'function secret (Secrets Manager)' : 'function env',
      reason: v.reason,
    });
  }
  const region = ctx.config.target.aws.region;
  const readinessPath = b.readinessPath ?? settings.service?.healthCheckPath ?? '/';
  const arch = b.architecture === 'arm64' ? 'Arm64' : 'X86';
  const partition = region.startsWith('cn-') ? 'aws-cn' : 'aws';
  const layers: string[] = [];
  const environment: Record<string, string> = { ...plain };
  let code: Desired['code'];
  if (b.imageUri) {
    const imageRegion = /\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/.exec(b.imageUri)?.[1] ?? '';
    if (imageRegion !== region)
      throw new EngifyError({
        code: 'BACKEND_IMAGE_REGION',
        kind: 'config',
        message: m.imageRegion(b.imageUri, imageRegion, region),
        hint: m.imageRegionHint(region),
      });
    code = { kind: 'image', imageUri: b.imageUri };
  } else {
    const kind = runtimeKind(settings.runtime);
    if (!kind)
      throw new EngifyError({
        code: 'BACKEND_RUNTIME',
        kind: 'config',
        message: m.runtime(settings.runtime),
        hint: m.runtimeHint,
      });
    if (!settings.startCommand)
      throw new EngifyError({
        code: 'BACKEND_RUNTIME',
        kind: 'config',
        message: m.notListening('(none)', readinessPath, b.port, 0, ''),
        hint: m.notListeningHint,
      });
    const pkg = await buildPackage({
      sourceDir: sourceDir as string,
      workDir: join(ctx.stateDir, 'backend'),
      buildCommand: settings.buildCommand,
      startCommand: settings.startCommand,
      kind,
      maxZipBytes: b.maxZipBytes,
      maxUnzippedBytes: b.maxUnzippedBytes,
      functionName,
    });
    await checkReadiness({
      stageDir: pkg.stageDir,
      startCommand: settings.startCommand,
      env: { ...plain, ...secret, ...pkg.env },
      path: readinessPath,
      port: b.port,
      timeoutSeconds: b.readinessTimeoutSeconds,
    });
    Object.assign(environment, pkg.env);
    layers.push(
      b.adapterLayerArn ??
        `arn:${partition}:lambda:${region}:753240598075:layer:LambdaAdapter${'Layer'}${arch}:${b.adapterLayerVersion}`,
    );
    code = { kind: 'zip', pkg, runtime: LAMBDA_RUNTIME[kind], handler: 'run.sh' };
  }
  // Documented Web Adapter settings (awslabs.github.io/aws-lambda-web-adapter, environment variables).
  Object.assign(environment, {
    AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap',
    AWS_LWA_PORT: String(b.port),
    PORT: String(b.port),
    AWS_LWA_READINESS_CHECK_PATH: readinessPath,
  });
  if (Object.keys(secret).length) {
    const account = SECRETS_LAYER_ACCOUNTS[region];
    const layer =
      b.secretsExtensionLayerArn ??
      (account
        ? `arn:aws:lambda:${region}:${account}:layer:AWS-Parameters-and-Secrets-Lambda-Extension:11`
        : undefined);
    if (!layer)
      throw new EngifyError({
        code: 'BACKEND_SECRETS_LAYER',
        kind: 'config',
        message: m.secretsLayer(region),
        hint: m.secretsLayerHint,
      });
    if (code.kind === 'zip') layers.push(layer);
  }
  const envBytes = Object.entries(environment).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (envBytes > 4096)
    throw new EngifyError({
      code: 'BACKEND_ENV_TOO_LARGE',
      kind: 'config',
      message: m.envTooLarge(envBytes),
      hint: m.envTooLargeHint,
    });
  return {
    settings,
    caveats,
    code,
    environment,
    secret,
    layers,
    memoryMb: b.memoryMb ?? RENDER_PLAN_MB[settings.service?.plan ?? ''] ?? 1024,
    timeoutSeconds: b.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    readinessPath,
    placements,
  };
}

/** The desired function, computed once per config, state and source (plan and apply share it). */
export function desired(ctx: StepContext): Promise<Desired> {
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        ctx.stateDir,
        ctx.config.backend,
        ctx.config.source.render?.serviceId,
        ctx.journal.outputOf('auth.pool', 'userPoolId'),
      ]),
    )
    .digest('hex');
  let found = cache.get(key);
  if (!found) {
    found = compute(ctx);
    cache.set(key, found);
    found.catch(() => cache.delete(key));
  }
  return found;
}

export function roleArnOutput(ctx: StepContext): string | undefined {
  const v = ctx.journal.outputOf(ROLE_STEP, 'roleArn');
  return typeof v === 'string' ? v : undefined;
}
export function secretArnOutput(ctx: StepContext): string | undefined {
  const v = ctx.journal.outputOf(ROLE_STEP, 'secretArn');
  return typeof v === 'string' ? v : undefined;
}
export function functionArnOutput(ctx: StepContext): string | undefined {
  const v = ctx.journal.outputOf(FUNCTION_STEP, 'functionArn');
  return typeof v === 'string' ? v : undefined;
}
export function apiUrlOutput(ctx: StepContext): string | undefined {
  const v = ctx.journal.outputOf(API_STEP, 'url');
  return typeof v === 'string' ? v : undefined;
}
