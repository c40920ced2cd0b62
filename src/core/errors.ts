// Errors carry a stable code, a kind that decides retry and exit code, a user-facing message and,
// kept apart, the internal detail. The user-facing message never contains a secret (see redact.ts).

export type ErrorKind = 'config' | 'transient' | 'system';

export interface EngifyErrorInit {
  code: string;
  kind: ErrorKind;
  message: string;
  /** What to do next, shown under the message. */
  hint?: string;
  /** Internal detail for --verbose (stack, provider error). Redacted before display. */
  detail?: string;
  cause?: unknown;
}

export class EngifyError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint?: string;
  readonly detail?: string;

  constructor(init: EngifyErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'EngifyError';
    this.code = init.code;
    this.kind = init.kind;
    this.hint = init.hint;
    this.detail = init.detail;
  }

  toJSON(): { code: string; kind: ErrorKind; message: string; hint?: string } {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}

/**
 * Exit codes of the design: 0 done, 1 a step or check failed, 2 bad usage or config, 3 lock held, 4 stale plan.
 * A service that does not answer the preflight is 2 whichever it is (source, target, AWS endpoint): the
 * environment must be fixed before anything runs, and a CI job should not retry it blindly. A service
 * lost after the run started is a failed step (1): rerun, and the run resumes from the journal.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  locked: 3,
  stalePlan: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class LockHeldError extends EngifyError {}
export class StalePlanError extends EngifyError {}

/** Codes of errors that mean "the plan no longer matches what is there": exit 4, plan again. */
export const STALE_PLAN_CODES: ReadonlySet<string> = new Set(['PLAN_STALE', 'PLAN_DRIFT']);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof LockHeldError) return ExitCode.locked;
  if (error instanceof StalePlanError) return ExitCode.stalePlan;
  if (error instanceof EngifyError && error.kind === 'config') return ExitCode.usage;
  return ExitCode.failed;
}

/** Wraps anything thrown by a provider into an EngifyError, keeping the provider text as detail only. */
export function toEngifyError(
  error: unknown,
  fallback: Omit<EngifyErrorInit, 'detail' | 'cause'>,
): EngifyError {
  if (error instanceof EngifyError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new EngifyError({ ...fallback, detail, cause: error });
}

/** Provider error names/codes that mean "try again later". */
const TRANSIENT = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'InternalErrorException',
  'SlowDown',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'TimeoutError',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '08006', // connection_failure
  '08001',
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

export function isTransient(error: unknown): boolean {
  if (error instanceof EngifyError) return error.kind === 'transient';
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
    status?: unknown;
  };
  if (typeof e.name === 'string' && TRANSIENT.has(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode ?? (typeof e.status === 'number' ? e.status : undefined);
  return status === 429 || (status !== undefined && status >= 500);
}
