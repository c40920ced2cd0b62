import { EngifyError } from '../../../core/errors.js';
import { messages } from '../../../core/messages.js';
import type { StepContext } from '../../../core/step.js';
import type { Lag, SyncHandle, SyncStats } from '../../../core/sync-contracts.js';
import { cdcLatencySeconds, describeReplication } from '../../../providers/dms/replication.js';
import { DMS_OUTPUT } from '../db-copy-dms.js';

// Forward sync when DMS did the copy: DMS's own change capture keeps the target in step, so this
// handle runs nothing; it reads the replication's status and its CDC latency (CloudWatch, where DMS
// publishes it) for `sync`, `status` and the cutover's lag bound. Stopping the handle leaves the
// replication running (a `sync` that ends must not stop DMS); the cutover stops it after the drain.

const POLL_MS = 500;

export async function openDmsSync(ctx: StepContext): Promise<SyncHandle> {
  const arn = ctx.journal.outputOf('db.copy', DMS_OUTPUT.arn);
  const configId = ctx.journal.outputOf('db.copy', DMS_OUTPUT.configId);
  if (typeof arn !== 'string' || typeof configId !== 'string')
    throw new EngifyError({
      code: 'SYNC_BEFORE_COPY',
      kind: 'config',
      message: messages.cutover.needsCopy,
      hint: messages.cutover.needsCopyHint,
    });
  const client = await ctx.services.dms();
  const metrics = await ctx.services.cloudwatch();
  const startedAt = new Date().toISOString();
  let state: SyncStats['state'] = 'running';
  let resolveDone: (e: Error | undefined) => void = () => undefined;
  const done = new Promise<Error | undefined>((r) => {
    resolveDone = r;
  });
  const listeners: ((e: Error) => void)[] = [];

  const lag = async (): Promise<Lag> => {
    const status = await describeReplication(client, arn);
    if (status?.status !== 'running') {
      const error = new EngifyError({
        code: 'DMS_REPLICATION_FAILED',
        kind: 'system',
        message: messages.dms.failed(
          arn,
          status?.status ?? 'gone',
          status?.failureMessages[0] ?? status?.stopReason ?? 'not running',
        ),
        hint: messages.dms.failedHint,
      });
      state = 'failed';
      for (const l of listeners) l(error);
      throw error;
    }
    // No data point yet means DMS has not published one: unknown, so not under any bound.
    const seconds = (await cdcLatencySeconds(metrics, configId, new Date())) ?? Number.POSITIVE_INFINITY;
    return { seconds, changes: 0, unit: 'rows' };
  };

  return {
    lag,
    async stop() {
      state = 'stopped';
      resolveDone(undefined);
    },
    stats: () => ({
      stream: `dms:${configId}`,
      direction: 'forward',
      mode: 'logical',
      state,
      transactionsApplied: 0,
      changesApplied: 0,
      targetCommits: 0,
      transactionsSkipped: 0,
      reconnects: 0,
      startedAt,
      changesPerSecond: 0,
    }),
    async drain(options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 300_000);
      for (;;) {
        if ((await lag()).seconds === 0) return;
        if (Date.now() > deadline)
          throw new EngifyError({
            code: 'SYNC_DRAIN_TIMEOUT',
            kind: 'transient',
            message: `DMS replication ${arn} did not catch up within ${Math.round((options.timeoutMs ?? 300_000) / 1000)} s.`,
            hint: 'Look at the replication in the DMS console (its CDC latency and errors), then run the cutover again.',
          });
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    done,
    onError: (l) => listeners.push(l),
  };
}
