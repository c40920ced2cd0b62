import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { assertAsPlanned } from '../../core/plan-drift.js';
import { sleep } from '../../core/retry.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { type FunctionSpec, type LambdaOps, lambdaOps, OWNER_TAG } from '../../providers/lambda/functions.js';
import { unreadableCheck } from '../hosting/hosting-shared.js';
import {
  backendConfig,
  backendEnabled,
  type Desired,
  desired,
  FUNCTION_STEP,
  functionArnOutput,
  names,
  roleArnOutput,
  secretArnOutput,
} from './backend-shared.js';

// backend.function: the Lambda function running the service through the Web Adapter. Created once,
// then brought in step by UpdateFunctionCode (the zip's digest differs from CodeSha256) and
// UpdateFunctionConfiguration (env, memory, timeout, layers, handler); between changes it waits for
// State Active and LastUpdateStatus not InProgress, as Lambda requires. Secrets are referenced by
// ENGIFY_SECRET_ID (read at start by the start script), never set as plain env vars.

const FUNCTION = 'lambda-function';
const m = messages.backend;

const lambda = async (ctx: StepContext): Promise<LambdaOps> => lambdaOps(await ctx.services.lambda());

function spec(ctx: StepContext, want: Desired): FunctionSpec {
  const b = backendConfig(ctx);
  const secretArn = secretArnOutput(ctx);
  const roleArn = roleArnOutput(ctx);
  if (!roleArn)
    throw new EngifyError({
      code: 'BACKEND_ROLE_MISSING',
      kind: 'config',
      message: `backend.function needs the execution role from backend.role, which has not been applied.`,
      hint: 'Run `engify-migrate apply --phase 3` (backend.role runs first).',
    });
  return {
    name: names(ctx).functionName,
    roleArn,
    code: want.code.kind === 'zip' ? { zip: want.code.pkg.zip } : { imageUri: want.code.imageUri },
    ...(want.code.kind === 'zip'
      ? { runtime: want.code.runtime, handler: want.code.handler, layers: want.layers }
      : {}),
    memoryMb: want.memoryMb,
    timeoutSeconds: want.timeoutSeconds,
    architecture: b.architecture,
    environment: {
      ...want.environment,
      ...(secretArn && Object.keys(want.secret).length ? { ENGIFY_SECRET_ID: secretArn } : {}),
    },
    description: `Render service ${want.settings.name}, migrated by engify-migrate`,
    tags: { [OWNER_TAG]: ctx.config.project },
  };
}

const sameEnv = (a: Record<string, string> | undefined, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());

function drift(
  fn: FunctionConfiguration,
  want: FunctionSpec,
  codeSha: string | undefined,
): { code: boolean; config: string[] } {
  const config: string[] = [];
  if (!sameEnv(fn.Environment?.Variables, want.environment)) config.push('env');
  if (fn.MemorySize !== want.memoryMb) config.push('memory');
  if (fn.Timeout !== want.timeoutSeconds) config.push('timeout');
  if (fn.Role !== want.roleArn) config.push('role');
  if (want.handler && fn.Handler !== want.handler) config.push('handler');
  if (want.runtime && fn.Runtime !== want.runtime) config.push('runtime');
  if (want.layers && JSON.stringify((fn.Layers ?? []).map((l) => l.Arn)) !== JSON.stringify(want.layers))
    config.push('layers');
  return { code: codeSha !== undefined && fn.CodeSha256 !== codeSha, config };
}

const codeSha = (want: Desired) => (want.code.kind === 'zip' ? want.code.pkg.sha256 : undefined);

type FunctionSettings = {
  runtime: string;
  memoryMb: number;
  timeoutSeconds: number;
  layers: string[];
  env: string[];
  secretKeys: string[];
};
/** The function's settings as plan showed them (variable names, never values) and its package. */
type FunctionAction = PlannedAction<'function', FunctionSettings & { package: string }>;

function settingsOf(want: Awaited<ReturnType<typeof desired>>): FunctionSettings {
  return {
    runtime: want.code.kind === 'zip' ? want.code.runtime : 'image',
    memoryMb: want.memoryMb,
    timeoutSeconds: want.timeoutSeconds,
    layers: want.layers,
    env: Object.keys(want.environment).sort(),
    secretKeys: Object.keys(want.secret).sort(),
  };
}

export const backendFunctionStep: Step<FunctionAction> = {
  id: FUNCTION_STEP,
  phase: 3,
  component: 'backend',
  title: 'Lambda function running the service unmodified through the Web Adapter',
  dependsOn: ['backend.role'],
  enabled: backendEnabled,

  async plan(ctx) {
    const want = await desired(ctx);
    const { functionName } = names(ctx);
    const fn = await (await lambda(ctx)).get(functionName);
    const pkg =
      want.code.kind === 'zip'
        ? m.planBuilt(want.code.pkg.bytes, want.code.pkg.unzipped, want.code.pkg.files)
        : `image ${want.code.imageUri}`;
    const details = { ...settingsOf(want), package: pkg };
    if (!fn)
      return [
        {
          action: 'create',
          resource: `lambda function ${functionName}`,
          subject: 'function',
          summary: `create (${pkg})`,
          details,
        },
      ];
    const roleArn = roleArnOutput(ctx);
    if (!roleArn)
      return [
        {
          action: 'update',
          resource: `lambda function ${functionName}`,
          subject: 'function',
          summary: 'update once the role exists',
          details,
        },
      ];
    const d = drift(fn, spec(ctx, want), codeSha(want));
    if (!d.code && d.config.length === 0)
      return [
        {
          action: 'noop',
          resource: `lambda function ${functionName}`,
          subject: 'function',
          summary: 'in step',
          details,
        },
      ];
    const parts = [...(d.code ? ['code'] : []), ...d.config];
    return [
      {
        action: 'update',
        resource: `lambda function ${functionName}`,
        subject: 'function',
        summary: `update ${parts.join(', ')}`,
        details,
      },
    ];
  },

  async apply(ctx, change) {
    const want = await desired(ctx);
    const { package: _shown, ...planned } = change.details;
    // The package is rebuilt here and its byte count may differ by a build's noise; its settings may not.
    assertAsPlanned(this.id, change, 'the function settings', planned, settingsOf(want));
    const b = backendConfig(ctx);
    const s = spec(ctx, want);
    const ops = await lambda(ctx);
    const wait = {
      pollIntervalMs: b.pollIntervalMs,
      timeoutMs: b.waitTimeoutSeconds * 1000,
      signal: ctx.signal,
    };
    const resource: CreatedResource = { kind: FUNCTION, name: s.name };
    const mine = ctx.journal.createdResources().some((r) => r.kind === FUNCTION && r.name === s.name);
    let fn = await ops.get(s.name);
    if (!fn) {
      ctx.journal.intent(resource);
      // A new role takes a few seconds to be assumable by Lambda everywhere: retry that refusal only.
      for (let attempt = 0; ; attempt++) {
        try {
          fn = await ops.create(s);
          break;
        } catch (error) {
          const text =
            error instanceof EngifyError ? `${error.message} ${error.detail ?? ''}` : String(error);
          if (!/cannot be assumed/i.test(text) || attempt * b.pollIntervalMs > b.waitTimeoutSeconds * 1000)
            throw error;
          await sleep(b.pollIntervalMs, ctx.signal);
        }
      }
      ctx.journal.created({ ...resource, id: fn.FunctionArn });
      fn = await ops.waitReady(s.name, wait);
    } else if (!mine) {
      const tags = (await ops.tags(s.name)) ?? {};
      const pending = ctx.journal.pendingIntents().some((r) => r.kind === FUNCTION && r.name === s.name);
      if (!(pending && tags[OWNER_TAG] === ctx.config.project))
        throw new EngifyError({
          code: 'BACKEND_FUNCTION_COLLISION',
          kind: 'config',
          message: m.collision('Lambda function', s.name),
          hint: m.collisionHint('backend.functionName'),
        });
      ctx.journal.created({ ...resource, id: fn.FunctionArn });
    }
    fn = await ops.waitReady(s.name, wait);
    const d = drift(fn, s, codeSha(want));
    if (d.code) {
      await ops.updateCode(s.name, s.code, s.architecture);
      fn = await ops.waitReady(s.name, wait);
    }
    if (d.config.length) {
      await ops.updateConfiguration(s);
      fn = await ops.waitReady(s.name, wait);
    }
    if (functionArnOutput(ctx) !== fn.FunctionArn) ctx.journal.output('functionArn', fn.FunctionArn ?? '');
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const want = await desired(ctx);
      const { functionName } = names(ctx);
      const fn = await (await lambda(ctx)).get(functionName);
      checks.push({
        name: `lambda function ${functionName}`,
        expected: 'Active',
        actual: fn ? `${fn.State}/${fn.LastUpdateStatus}` : 'missing',
        ok: fn?.State === 'Active',
      });
      if (!fn) return checks;
      const s = spec(ctx, want);
      const env = fn.Environment?.Variables ?? {};
      for (const [key, value] of Object.entries(s.environment)) {
        const actual = env[key] === undefined ? 'missing' : env[key] === value ? 'matches' : 'differs';
        checks.push({ name: `function env ${key}`, expected: 'matches', actual, ok: actual === 'matches' });
      }
      const inline = Object.keys(want.secret).filter((k) => env[k] !== undefined);
      checks.push({
        name: 'secrets not inline in the function env',
        expected: [],
        actual: inline,
        ok: inline.length === 0,
      });
      if (want.code.kind === 'zip')
        checks.push({
          name: 'function code',
          expected: want.code.pkg.sha256,
          actual: fn.CodeSha256 ?? null,
          ok: fn.CodeSha256 === want.code.pkg.sha256,
        });
    } catch (error) {
      checks.push(unreadableCheck('backend function', error));
    }
    return checks;
  },

  async rollback(ctx) {
    const ops = await lambda(ctx);
    for (const r of ctx.journal.createdResources().filter((x) => x.kind === FUNCTION)) {
      await ops.delete(r.name);
      ctx.journal.undone({ resource: r });
    }
    for (const r of ctx.journal.pendingIntents()) {
      if (r.kind === FUNCTION && (await ops.tags(r.name))?.[OWNER_TAG] === ctx.config.project)
        await ops.delete(r.name);
      ctx.journal.undone({ resource: r });
    }
  },

  async verifyRollback(ctx) {
    const { functionName } = names(ctx);
    const fn = await (await lambda(ctx)).get(functionName).catch(() => undefined);
    return [
      {
        name: `lambda function ${functionName} gone`,
        expected: 'absent',
        actual: fn ? 'present' : 'absent',
        ok: !fn,
      },
    ];
  },
};
