import type { FunctionConfiguration, LambdaClient } from '@aws-sdk/client-lambda';
import { EngifyError, isTransient, toEngifyError } from '../../core/errors.js';
import { sleep } from '../../core/retry.js';

// Typed operations on one Lambda function (the SDK's CreateFunction, GetFunction,
// GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration, AddPermission,
// GetPolicy, DeleteFunction, Invoke), and the wait Lambda asks for between changes: a function is
// usable once State is Active and LastUpdateStatus is Successful; an update sent while either is
// Pending / InProgress fails with ResourceConflictException.

export const OWNER_TAG = 'engify-migrate:project';

export interface FunctionSpec {
  name: string;
  roleArn: string;
  /** Zip packages: runtime + handler (the start script) + layers; images: imageUri. */
  code: { zip: Uint8Array } | { imageUri: string };
  runtime?: string;
  handler?: string;
  layers?: string[];
  memoryMb: number;
  timeoutSeconds: number;
  architecture: 'x86_64' | 'arm64';
  environment: Record<string, string>;
  description?: string;
  tags?: Record<string, string>;
}

export interface WaitOptions {
  pollIntervalMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

const errorName = (e: unknown) => (e instanceof Error ? e.name : '');
export const isLambdaNotFound = (e: unknown) => errorName(e) === 'ResourceNotFoundException';

function lambdaError(e: unknown, what: string): EngifyError {
  if (e instanceof EngifyError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  const config = [
    'InvalidParameterValueException',
    'CodeStorageExceededException',
    'RequestTooLargeException',
  ];
  return toEngifyError(e, {
    code: 'LAMBDA_FAILED',
    kind: config.includes(errorName(e)) ? 'config' : isTransient(e) ? 'transient' : 'system',
    message: `Lambda could not ${what}: ${detail}`,
    hint: 'Check the function settings named above; rerun `apply` once fixed (what was done is kept).',
  });
}

export async function lambdaOps(client: LambdaClient) {
  const l = await import('@aws-sdk/client-lambda');
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      throw lambdaError(e, what);
    }
  };

  const get = async (name: string): Promise<FunctionConfiguration | undefined> => {
    try {
      return await client.send(new l.GetFunctionConfigurationCommand({ FunctionName: name }));
    } catch (e) {
      if (isLambdaNotFound(e)) return undefined;
      throw lambdaError(e, `read function ${name}`);
    }
  };

  return {
    get,
    /** The function's tags (GetFunction returns them with the configuration). */
    async tags(name: string): Promise<Record<string, string> | undefined> {
      try {
        return (await client.send(new l.GetFunctionCommand({ FunctionName: name }))).Tags ?? {};
      } catch (e) {
        if (isLambdaNotFound(e)) return undefined;
        throw lambdaError(e, `read function ${name}`);
      }
    },
    create: (spec: FunctionSpec) =>
      wrap(`create function ${spec.name}`, () =>
        client.send(
          new l.CreateFunctionCommand({
            FunctionName: spec.name,
            Role: spec.roleArn,
            ...('zip' in spec.code
              ? {
                  PackageType: 'Zip' as const,
                  Code: { ZipFile: spec.code.zip },
                  Runtime: spec.runtime as never,
                  Handler: spec.handler,
                  Layers: spec.layers,
                }
              : { PackageType: 'Image' as const, Code: { ImageUri: spec.code.imageUri } }),
            MemorySize: spec.memoryMb,
            Timeout: spec.timeoutSeconds,
            Architectures: [spec.architecture],
            Environment: { Variables: spec.environment },
            Description: spec.description,
            Tags: spec.tags,
          }),
        ),
      ),
    updateCode: (name: string, code: FunctionSpec['code'], architecture: FunctionSpec['architecture']) =>
      wrap(`update the code of ${name}`, () =>
        client.send(
          new l.UpdateFunctionCodeCommand({
            FunctionName: name,
            ...('zip' in code ? { ZipFile: code.zip } : { ImageUri: code.imageUri }),
            Architectures: [architecture],
          }),
        ),
      ),
    updateConfiguration: (spec: FunctionSpec) =>
      wrap(`update the configuration of ${spec.name}`, () =>
        client.send(
          new l.UpdateFunctionConfigurationCommand({
            FunctionName: spec.name,
            Role: spec.roleArn,
            MemorySize: spec.memoryMb,
            Timeout: spec.timeoutSeconds,
            Environment: { Variables: spec.environment },
            ...('zip' in spec.code
              ? { Runtime: spec.runtime as never, Handler: spec.handler, Layers: spec.layers }
              : {}),
          }),
        ),
      ),
    /** Statement ids of the function's resource policy (empty when it has none). */
    async permissions(name: string): Promise<string[]> {
      try {
        const out = await client.send(new l.GetPolicyCommand({ FunctionName: name }));
        const doc = JSON.parse(out.Policy ?? '{}') as { Statement?: { Sid?: string }[] };
        return (doc.Statement ?? []).map((s) => s.Sid ?? '');
      } catch (e) {
        if (isLambdaNotFound(e)) return [];
        throw lambdaError(e, `read the resource policy of ${name}`);
      }
    },
    addPermission: (name: string, input: { statementId: string; principal: string; sourceArn: string }) =>
      wrap(`allow ${input.principal} to invoke ${name}`, () =>
        client.send(
          new l.AddPermissionCommand({
            FunctionName: name,
            StatementId: input.statementId,
            Action: 'lambda:InvokeFunction',
            Principal: input.principal,
            SourceArn: input.sourceArn,
          }),
        ),
      ),
    async delete(name: string): Promise<void> {
      try {
        await client.send(new l.DeleteFunctionCommand({ FunctionName: name }));
      } catch (e) {
        if (!isLambdaNotFound(e)) throw lambdaError(e, `delete function ${name}`);
      }
    },
    /**
     * Waits until the function can take the next change: State Active (not Pending) and
     * LastUpdateStatus not InProgress. A Failed state is an error carrying Lambda's reason.
     */
    async waitReady(name: string, options: WaitOptions): Promise<FunctionConfiguration> {
      const deadline = Date.now() + options.timeoutMs;
      for (;;) {
        const fn = await get(name);
        if (!fn)
          throw new EngifyError({
            code: 'LAMBDA_GONE',
            kind: 'system',
            message: `Lambda function ${name} disappeared while waiting for it to become active.`,
            hint: 'Rerun `apply`: the function is created again.',
          });
        if (fn.State === 'Failed' || fn.LastUpdateStatus === 'Failed')
          throw new EngifyError({
            code: 'LAMBDA_STATE_FAILED',
            kind: 'system',
            message: `Lambda function ${name} failed to become ready: ${fn.StateReason ?? fn.LastUpdateStatusReason ?? 'no reason given'} (${fn.StateReasonCode ?? fn.LastUpdateStatusReasonCode ?? '?'}).`,
            hint: 'Fix what the reason names (role, layer, image) and rerun `apply`.',
          });
        if (fn.State === 'Active' && fn.LastUpdateStatus !== 'InProgress') return fn;
        if (Date.now() > deadline)
          throw new EngifyError({
            code: 'LAMBDA_WAIT_TIMEOUT',
            kind: 'transient',
            message: `Lambda function ${name} is still ${fn.State}/${fn.LastUpdateStatus ?? '-'} after ${Math.round(options.timeoutMs / 1000)} s.`,
            hint: 'Rerun `apply` later, or raise backend.waitTimeoutSeconds.',
          });
        await sleep(options.pollIntervalMs, options.signal);
      }
    },
    /** A synchronous invocation with a raw JSON payload; returns the status, error header and payload. */
    invoke: (name: string, payload: unknown) =>
      wrap(`invoke ${name}`, async () => {
        const out = await client.send(
          new l.InvokeCommand({
            FunctionName: name,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify(payload)),
          }),
        );
        return {
          status: out.StatusCode ?? 0,
          functionError: out.FunctionError,
          payload: out.Payload ? new TextDecoder().decode(out.Payload) : '',
        };
      }),
  };
}

export type LambdaOps = Awaited<ReturnType<typeof lambdaOps>>;
