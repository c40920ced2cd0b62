import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import {
  matchRoute,
  type RecordedRequest,
  type RunningStandIn,
  type StandInReply,
  startStandIn,
} from './http-stand-in.js';
import { FunctionInstance, type InvokeOutcome } from './lambda-runtime.js';

// Stand-in for the Lambda control API (REST, 2015-03-31) the backend steps call: CreateFunction
// (POST /functions, 201), GetFunction, GetFunctionConfiguration, UpdateFunctionCode (PUT .../code),
// UpdateFunctionConfiguration (PUT .../configuration), DeleteFunction (204), AddPermission
// (POST .../policy, 201), GetPolicy, Invoke (POST .../invocations). A new function is Pending and an
// update InProgress for `settlePolls` reads before it is Active / Successful, and a change sent
// meanwhile is refused with ResourceConflictException (409), as Lambda does. Zip packages over the
// 250 MB unzipped limit are refused with InvalidParameterValueException. Invoke really runs the code
// (lambda-runtime.ts); the Parameters and Secrets extension is served when its layer is attached.

export interface LambdaStandInOptions {
  region?: string;
  account?: string;
  /** Reads of a new/updated function before it settles (exercises the caller's wait). */
  settlePolls?: number;
  /** Does the role exist and trust lambda.amazonaws.com? (IAM stand-in). */
  roleUsable?(roleArn: string): boolean;
  /** Secrets for the Parameters and Secrets extension, checked against the role's policies. */
  secret?(roleArn: string, secretId: string): Promise<{ status: number; body: unknown }>;
}

interface FunctionRecord {
  config: Record<string, unknown>;
  zip?: Uint8Array;
  imageUri?: string;
  tags: Record<string, string>;
  statements: Record<string, unknown>[];
  polls: number;
  instance?: FunctionInstance;
  extension?: Server;
}

export interface LambdaStandIn extends RunningStandIn {
  functions: Map<string, FunctionRecord>;
  /** Invoke by name or ARN without HTTP (the API Gateway stand-in's integration). */
  invoke(nameOrArn: string, event: Record<string, unknown>): Promise<InvokeOutcome & { found: boolean }>;
  /** Does the function's resource policy let `principal` invoke it from `sourceArn`? */
  canInvoke(nameOrArn: string, principal: string, sourceArn: string): boolean;
}

const UNZIPPED_MAX = 262_144_000;
const err = (status: number, type: string, message: string): StandInReply => ({
  status,
  headers: { 'x-amzn-errortype': type },
  body: { Type: 'User', message },
});

const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

export async function startLambdaApi(options: LambdaStandInOptions = {}): Promise<LambdaStandIn> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '123456789012';
  const settle = options.settlePolls ?? 1;
  const root = mkdtempSync(join(tmpdir(), 'engify-lambda-'));
  const functions = new Map<string, FunctionRecord>();
  const arnOf = (name: string) => `arn:aws:lambda:${region}:${account}:function:${name}`;
  const find = (id: string) => functions.get(id.startsWith('arn:') ? (id.split(':')[6] ?? '') : id);

  const stopInstance = async (fn: FunctionRecord) => {
    fn.instance?.stop();
    fn.instance = undefined;
    await new Promise<void>((r) => (fn.extension ? fn.extension.close(() => r()) : r()));
    fn.extension = undefined;
  };

  const view = (fn: FunctionRecord) => {
    // Each read moves a settling function one poll closer to Active / Successful.
    if (fn.polls > 0) fn.polls--;
    else if (fn.config.State === 'Pending') fn.config.State = 'Active';
    else if (fn.config.LastUpdateStatus === 'InProgress') fn.config.LastUpdateStatus = 'Successful';
    if (fn.polls === 0 && fn.config.State === 'Pending') fn.config.State = 'Active';
    if (fn.polls === 0 && fn.config.LastUpdateStatus === 'InProgress')
      fn.config.LastUpdateStatus = 'Successful';
    return fn.config;
  };
  const busy = (fn: FunctionRecord) =>
    fn.config.State === 'Pending' || fn.config.LastUpdateStatus === 'InProgress';
  const conflict = (name: string) =>
    err(
      409,
      'ResourceConflictException',
      `The operation cannot be performed at this time. An update is in progress for resource: ${arnOf(name)}`,
    );

  const setCode = (
    fn: FunctionRecord,
    input: { ZipFile?: string; ImageUri?: string },
  ): StandInReply | undefined => {
    if (input.ZipFile) {
      const zip = Buffer.from(input.ZipFile, 'base64');
      let unzipped = 0;
      try {
        for (const data of Object.values(unzipSync(zip))) unzipped += data.length;
      } catch {
        return err(
          400,
          'InvalidParameterValueException',
          'Could not unzip uploaded file. Please check your file, then try to upload again.',
        );
      }
      if (unzipped > UNZIPPED_MAX)
        return err(
          400,
          'InvalidParameterValueException',
          `Unzipped size must be smaller than ${UNZIPPED_MAX} bytes`,
        );
      fn.zip = new Uint8Array(zip);
      fn.config.CodeSize = zip.length;
      fn.config.CodeSha256 = createHash('sha256').update(zip).digest('base64');
    } else if (input.ImageUri) {
      fn.imageUri = input.ImageUri;
      fn.config.CodeSha256 = createHash('sha256').update(input.ImageUri).digest('base64');
    }
    return undefined;
  };

  const handler = async (req: RecordedRequest): Promise<StandInReply> => {
    if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256'))
      return err(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const input = (
      req.body && req.headers['content-type']?.includes('json') ? JSON.parse(req.body) : {}
    ) as Record<string, unknown>;

    if (req.method === 'POST' && req.path === '/2015-03-31/functions') {
      const name = String(input.FunctionName ?? '');
      if (functions.has(name))
        return err(409, 'ResourceConflictException', `Function already exist: ${name}`);
      const role = String(input.Role ?? '');
      if (options.roleUsable && !options.roleUsable(role))
        return err(
          400,
          'InvalidParameterValueException',
          'The role defined for the function cannot be assumed by Lambda.',
        );
      const code = (input.Code ?? {}) as { ZipFile?: string; ImageUri?: string };
      const env = (input.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};
      const fn: FunctionRecord = {
        config: {
          FunctionName: name,
          FunctionArn: arnOf(name),
          Runtime: input.Runtime,
          Role: role,
          Handler: input.Handler,
          Timeout: input.Timeout ?? 3,
          MemorySize: input.MemorySize ?? 128,
          Description: input.Description ?? '',
          Version: '$LATEST',
          PackageType: input.PackageType ?? 'Zip',
          Architectures: input.Architectures ?? ['x86_64'],
          Environment: { Variables: env },
          Layers: ((input.Layers as string[] | undefined) ?? []).map((Arn) => ({ Arn, CodeSize: 0 })),
          LastModified: new Date().toISOString().replace('Z', '+0000'),
          State: 'Pending',
          StateReason: 'The function is being created.',
          StateReasonCode: 'Creating',
          LastUpdateStatus: 'Successful',
        },
        tags: (input.Tags as Record<string, string>) ?? {},
        statements: [],
        polls: settle,
      };
      const bad = setCode(fn, code);
      if (bad) return bad;
      functions.set(name, fn);
      return { status: 201, body: fn.config };
    }

    let p = matchRoute('/2015-03-31/functions/{name}', req.path);
    if (p) {
      const fn = find(p.name ?? '');
      if (!fn) return err(404, 'ResourceNotFoundException', `Function not found: ${arnOf(p.name ?? '')}`);
      if (req.method === 'GET')
        return {
          status: 200,
          body: {
            Configuration: view(fn),
            Code: { RepositoryType: 'S3', Location: 'https://stand-in/code.zip' },
            Tags: fn.tags,
          },
        };
      if (req.method === 'DELETE') {
        await stopInstance(fn);
        functions.delete(fn.config.FunctionName as string);
        return { status: 204 };
      }
    }
    p = matchRoute('/2015-03-31/functions/{name}/configuration', req.path);
    if (p) {
      const fn = find(p.name ?? '');
      if (!fn) return err(404, 'ResourceNotFoundException', `Function not found: ${arnOf(p.name ?? '')}`);
      if (req.method === 'GET') return { status: 200, body: view(fn) };
      if (req.method === 'PUT') {
        if (busy(fn)) return conflict(fn.config.FunctionName as string);
        for (const k of ['Role', 'Handler', 'Runtime', 'Timeout', 'MemorySize', 'Description', 'Environment'])
          if (input[k] !== undefined) fn.config[k] = input[k];
        if (input.Layers) fn.config.Layers = (input.Layers as string[]).map((Arn) => ({ Arn, CodeSize: 0 }));
        fn.config.LastUpdateStatus = 'InProgress';
        fn.polls = settle;
        await stopInstance(fn);
        return { status: 200, body: fn.config };
      }
    }
    p = matchRoute('/2015-03-31/functions/{name}/code', req.path);
    if (p && req.method === 'PUT') {
      const fn = find(p.name ?? '');
      if (!fn) return err(404, 'ResourceNotFoundException', `Function not found: ${arnOf(p.name ?? '')}`);
      if (busy(fn)) return conflict(fn.config.FunctionName as string);
      const bad = setCode(fn, input as { ZipFile?: string; ImageUri?: string });
      if (bad) return bad;
      fn.config.LastUpdateStatus = 'InProgress';
      fn.polls = settle;
      await stopInstance(fn);
      return { status: 200, body: fn.config };
    }
    p = matchRoute('/2015-03-31/functions/{name}/policy', req.path);
    if (p) {
      const fn = find(p.name ?? '');
      if (!fn) return err(404, 'ResourceNotFoundException', `Function not found: ${arnOf(p.name ?? '')}`);
      if (req.method === 'GET') {
        if (fn.statements.length === 0)
          return err(404, 'ResourceNotFoundException', 'The resource you requested does not exist.');
        return {
          status: 200,
          body: {
            Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: fn.statements }),
            RevisionId: 'r1',
          },
        };
      }
      if (req.method === 'POST') {
        const sid = String(input.StatementId ?? '');
        if (fn.statements.some((s) => s.Sid === sid))
          return err(
            409,
            'ResourceConflictException',
            `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
          );
        const statement = {
          Sid: sid,
          Effect: 'Allow',
          Principal: { Service: input.Principal },
          Action: input.Action,
          Resource: fn.config.FunctionArn,
          ...(input.SourceArn ? { Condition: { ArnLike: { 'AWS:SourceArn': input.SourceArn } } } : {}),
        };
        fn.statements.push(statement);
        return { status: 201, body: { Statement: JSON.stringify(statement) } };
      }
    }
    p = matchRoute('/2015-03-31/functions/{name}/invocations', req.path);
    if (p && req.method === 'POST') {
      const r = await invoke(p.name ?? '', JSON.parse(req.body || '{}') as Record<string, unknown>);
      if (!r.found)
        return err(404, 'ResourceNotFoundException', `Function not found: ${arnOf(p.name ?? '')}`);
      return {
        status: 200,
        headers: {
          'x-amz-executed-version': '$LATEST',
          ...(r.error ? { 'x-amz-function-error': r.error } : {}),
        },
        body: r.payload,
      };
    }
    return err(404, 'UnknownOperationException', `no route for ${req.method} ${req.path}`);
  };

  const startExtension = async (fn: FunctionRecord, token: () => string): Promise<string> => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (req.headers['x-aws-parameters-secrets-token'] !== token()) return reply(401, 'not authorized');
      if (url.pathname !== '/secretsmanager/get' || !options.secret) return reply(400, 'unsupported');
      void options.secret(String(fn.config.Role), url.searchParams.get('secretId') ?? '').then(
        (r) => reply(r.status, r.body),
        (e: Error) => reply(500, e.message),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    fn.extension = server;
    return String((server.address() as AddressInfo).port);
  };

  async function invoke(nameOrArn: string, event: Record<string, unknown>) {
    const fn = find(nameOrArn);
    if (!fn) return { found: false, payload: undefined };
    if (busy(fn)) view(fn);
    if (!fn.zip)
      return {
        found: true,
        error: 'Unhandled' as const,
        payload: {
          errorType: 'Runtime.InvalidEntrypoint',
          errorMessage: 'the stand-in runs zip packages only',
        },
      };
    const env = (fn.config.Environment as { Variables: Record<string, string> }).Variables;
    const layers = (fn.config.Layers as { Arn: string }[]).map((l) => l.Arn);
    const adapter = layers.some((a) => /:layer:LambdaAdapterLayer(X86|Arm64):\d+$/.test(a));
    if (!adapter || env.AWS_LAMBDA_EXEC_WRAPPER !== '/opt/bootstrap')
      return {
        found: true,
        error: 'Unhandled' as const,
        payload: {
          errorType: 'Runtime.HandlerNotFound',
          errorMessage:
            'the stand-in runs Lambda Web Adapter functions only (layer + AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap)',
        },
      };
    if (!fn.instance) {
      const sandboxEnv: Record<string, string> = {};
      let instance: FunctionInstance | undefined;
      if (layers.some((a) => a.includes(':layer:AWS-Parameters-and-Secrets-Lambda-Extension:')))
        sandboxEnv.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = await startExtension(
          fn,
          () => instance?.sessionToken ?? '',
        );
      instance = new FunctionInstance(
        {
          name: String(fn.config.FunctionName),
          zip: fn.zip,
          handler: String(fn.config.Handler),
          environment: env,
          timeoutSeconds: Number(fn.config.Timeout),
          region,
          sandboxEnv,
        },
        root,
      );
      fn.instance = instance;
    }
    return { found: true, ...(await fn.instance.invoke(event)) };
  }

  const running = await startStandIn(handler);
  return {
    ...running,
    functions,
    invoke,
    canInvoke(nameOrArn, principal, sourceArn) {
      const fn = find(nameOrArn);
      return !!fn?.statements.some((s) => {
        const who = (s.Principal as { Service?: string }).Service;
        const cond = (s.Condition as { ArnLike?: Record<string, string> } | undefined)?.ArnLike?.[
          'AWS:SourceArn'
        ];
        return (
          who === principal &&
          (s.Action === 'lambda:InvokeFunction' || s.Action === 'lambda:*') &&
          (!cond || glob(cond, sourceArn))
        );
      });
    },
    close: async () => {
      for (const fn of functions.values()) await stopInstance(fn);
      await running.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
