import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';

// The bulk operations of the DynamoDB vector front: StartBulkPutItems, DescribeBulkOperation,
// ListBulkOperations and CancelBulkOperation, with the request and response shapes of the DynamoDB API
// reference (StartBulkPutItemsInput, BulkOperationDescription, BulkOperationSummary). The operation reads
// the objects under InputS3Configuration's bucket/prefix from an S3 endpoint (s3rver in tests), DYNAMODB_JSON
// lines `{"Item": {...}}`, GZIP or uncompressed, and writes the items into the table through the upstream
// (dynalite) with BatchWriteItem. Records that cannot be parsed or lack the table's key attributes are
// counted in FailedItemCount and written as ERROR records under OutputS3Configuration's prefix. The
// ClientToken makes a repeated start with the same parameters return the same operation.
// Tests can hold operations IN_PROGRESS (to kill a run mid-import) and release them later.

type Call = (headers: IncomingHttpHeaders, op: string, input: unknown) => Promise<Record<string, unknown>>;
type Fail = (type: string, message: string) => Error;

interface Description {
  BulkOperationArn: string;
  BulkOperationStatus:
    | 'IN_PROGRESS'
    | 'COMPLETED'
    | 'COMPLETED_WITH_ERRORS'
    | 'CANCELLING'
    | 'CANCELLED'
    | 'FAILED';
  TableDetails: { TableName: string; TableId?: string }[];
  ClientToken: string;
  InputS3Configuration: Record<string, unknown>;
  OutputS3Configuration: Record<string, unknown>;
  StartTime: number;
  EndTime?: number;
  ProcessedItemCount: number;
  ProcessedInputBytes: number;
  TotalInputBytes?: number;
  FailedItemCount: number;
  FailureCode?: string;
  FailureMessage?: string;
  PerformanceTier: string;
  MaxWriteRequestUnits?: number;
}

export interface BulkOperations {
  start(headers: IncomingHttpHeaders, input: Record<string, unknown>): Promise<unknown>;
  describe(input: Record<string, unknown>): unknown;
  list(input: Record<string, unknown>): unknown;
  cancel(input: Record<string, unknown>): unknown;
  /** Operations started so far (one per distinct ClientToken). */
  readonly started: number;
  /** While held, new and pending operations stay IN_PROGRESS. */
  hold(): void;
  release(): void;
  /** Resolves when no operation is IN_PROGRESS. */
  idle(): Promise<void>;
}

export function createBulkOperations(deps: {
  call: Call;
  fail: Fail;
  keysOf: (headers: IncomingHttpHeaders, table: string) => Promise<string[]>;
  s3?: S3Client;
}): BulkOperations {
  const { call, fail } = deps;
  const ops = new Map<string, Description>();
  const byToken = new Map<string, { arn: string; params: string }>();
  const pending: (() => void)[] = [];
  const running = new Set<Promise<void>>();
  let held = false;

  const run = async (headers: IncomingHttpHeaders, d: Description) => {
    try {
      const s3 = deps.s3;
      if (!s3) throw new Error('the front was started without an S3 endpoint');
      const { ListObjectsV2Command, GetObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
      const input = d.InputS3Configuration as {
        S3Bucket: string;
        S3KeyPrefix?: string;
        InputCompressionType?: string;
      };
      const table = d.TableDetails[0]!.TableName;
      const keys = await deps.keysOf(headers, table);
      const objects: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: input.S3Bucket,
            Prefix: input.S3KeyPrefix ?? '',
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of page.Contents ?? []) if (o.Key) objects.push({ key: o.Key, size: o.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      d.TotalInputBytes = objects.reduce((n, o) => n + o.size, 0);
      const errors: string[] = [];
      for (const object of objects) {
        if (d.BulkOperationStatus !== 'IN_PROGRESS') return;
        const got = await s3.send(new GetObjectCommand({ Bucket: input.S3Bucket, Key: object.key }));
        const raw = Buffer.from(await got.Body!.transformToByteArray());
        d.ProcessedInputBytes += raw.length;
        let text: string;
        try {
          text = (input.InputCompressionType === 'GZIP' ? gunzipSync(raw) : raw).toString('utf8');
        } catch (error) {
          d.ProcessedItemCount++;
          d.FailedItemCount++;
          errors.push(JSON.stringify({ object: object.key, error: `cannot decompress: ${String(error)}` }));
          continue;
        }
        let batch = new Map<string, unknown>();
        const flush = async () => {
          if (batch.size === 0) return;
          const requests = [...batch.values()].map((Item) => ({ PutRequest: { Item } }));
          batch = new Map();
          await call(headers, 'BatchWriteItem', { RequestItems: { [table]: requests } });
        };
        const lines = text.split('\n');
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i]!.trim();
          if (line === '') continue;
          d.ProcessedItemCount++;
          let item: Record<string, Record<string, unknown>> | undefined;
          try {
            const record = JSON.parse(line) as { Item?: Record<string, Record<string, unknown>> };
            item = record.Item;
          } catch {
            item = undefined;
          }
          const missing =
            item && typeof item === 'object' ? keys.filter((k) => !item![k]?.S && !item![k]?.N) : keys;
          if (!item || missing.length > 0) {
            d.FailedItemCount++;
            errors.push(
              JSON.stringify({
                object: object.key,
                line: i + 1,
                error: item
                  ? `missing key attribute(s) ${missing.join(', ')}`
                  : 'not a DynamoDB JSON {"Item": ...} record',
              }),
            );
            continue;
          }
          batch.set(keys.map((k) => JSON.stringify(item![k])).join('|'), item);
          if (batch.size === 25) await flush();
        }
        await flush();
      }
      const output = d.OutputS3Configuration as { S3Bucket?: string; S3KeyPrefix?: string };
      if (errors.length > 0 && output.S3Bucket) {
        await s3.send(
          new PutObjectCommand({
            Bucket: output.S3Bucket,
            Key: `${output.S3KeyPrefix ?? ''}${d.BulkOperationArn.split('/').pop()}/errors-00001.json`,
            Body: `${errors.join('\n')}\n`,
          }),
        );
      }
      d.BulkOperationStatus = d.FailedItemCount > 0 ? 'COMPLETED_WITH_ERRORS' : 'COMPLETED';
    } catch (error) {
      d.BulkOperationStatus = 'FAILED';
      d.FailureCode = 'InternalError';
      d.FailureMessage = error instanceof Error ? error.message : String(error);
    } finally {
      d.EndTime = Date.now() / 1000;
    }
  };

  const launch = (headers: IncomingHttpHeaders, d: Description) => {
    const go = () => {
      const p = run(headers, d).finally(() => running.delete(p));
      running.add(p);
    };
    if (held) pending.push(go);
    else setImmediate(go);
  };

  const shown = (d: Description) => {
    const { TotalInputBytes, EndTime, FailureCode, FailureMessage, ...rest } = d;
    return {
      ...rest,
      ...(TotalInputBytes !== undefined ? { TotalInputBytes } : {}),
      ...(d.BulkOperationStatus !== 'IN_PROGRESS' && EndTime !== undefined ? { EndTime } : {}),
      ...(FailureCode ? { FailureCode, FailureMessage } : {}),
    };
  };

  const find = (input: Record<string, unknown>) => {
    const arn = String(input.BulkOperationArn ?? '');
    const d = ops.get(arn);
    if (!d) throw fail('ResourceNotFoundException', `Bulk operation not found: ${arn}`);
    return d;
  };

  return {
    async start(headers, input) {
      const table = String(input.TableName ?? '');
      const inCfg = input.InputS3Configuration as Record<string, unknown> | undefined;
      const outCfg = input.OutputS3Configuration as Record<string, unknown> | undefined;
      if (!table) throw fail('ValidationException', 'TableName is required');
      if (!inCfg?.S3Bucket || !inCfg.InputFormat) {
        throw fail('ValidationException', 'InputS3Configuration.S3Bucket and InputFormat are required');
      }
      if (inCfg.InputFormat !== 'DYNAMODB_JSON' && inCfg.InputFormat !== 'ION') {
        throw fail('ValidationException', `InputFormat must be one of DYNAMODB_JSON, ION`);
      }
      if (inCfg.InputFormat === 'ION')
        throw fail('ValidationException', 'this stand-in reads DYNAMODB_JSON only');
      if (
        inCfg.InputCompressionType !== undefined &&
        !['GZIP', 'NONE'].includes(String(inCfg.InputCompressionType))
      ) {
        throw fail('ValidationException', 'this stand-in reads GZIP or NONE compression only');
      }
      if (!outCfg || !Array.isArray(outCfg.OutputType) || outCfg.OutputType.length === 0) {
        throw fail('ValidationException', 'OutputS3Configuration.OutputType is required');
      }
      const maxWru = input.MaxWriteRequestUnits;
      if (maxWru !== undefined && Number(maxWru) < 1024) {
        throw fail('ValidationException', 'MaxWriteRequestUnits must be at least 1024');
      }
      const token = String(input.ClientToken ?? randomUUID());
      const { ClientToken: _t, ...params } = input;
      const signature = JSON.stringify(params);
      const seen = byToken.get(token);
      if (seen) {
        if (seen.params !== signature) {
          throw fail(
            'IdempotentParameterMismatchException',
            'The request uses the same client token as a previous, but non-identical request.',
          );
        }
        return { BulkOperationDescription: shown(ops.get(seen.arn)!) };
      }
      const described = (await call(headers, 'DescribeTable', { TableName: table })).Table as Record<
        string,
        unknown
      >;
      const arn = `${String(described.TableArn ?? `arn:aws:dynamodb:local:000000000000:table/${table}`)}/bulk-operation/${randomUUID()}`;
      const d: Description = {
        BulkOperationArn: arn,
        BulkOperationStatus: 'IN_PROGRESS',
        TableDetails: [
          { TableName: table, ...(described.TableId ? { TableId: String(described.TableId) } : {}) },
        ],
        ClientToken: token,
        InputS3Configuration: inCfg,
        OutputS3Configuration: outCfg,
        StartTime: Date.now() / 1000,
        ProcessedItemCount: 0,
        ProcessedInputBytes: 0,
        FailedItemCount: 0,
        PerformanceTier: String(input.PerformanceTier ?? 'STANDARD'),
        ...(maxWru !== undefined ? { MaxWriteRequestUnits: Number(maxWru) } : {}),
      };
      ops.set(arn, d);
      byToken.set(token, { arn, params: signature });
      launch(headers, d);
      return { BulkOperationDescription: shown(d) };
    },
    describe(input) {
      return { BulkOperationDescription: shown(find(input)) };
    },
    list(input) {
      const max = Number(input.MaxResults ?? 10);
      const all = [...ops.values()];
      const from = Number(input.NextToken ?? 0);
      const page = all.slice(from, from + max);
      return {
        BulkOperationsSummaryList: page.map((d) => ({
          BulkOperationArn: d.BulkOperationArn,
          BulkOperationStatus: d.BulkOperationStatus,
          StartTime: d.StartTime,
          ...(d.BulkOperationStatus !== 'IN_PROGRESS' && d.EndTime ? { EndTime: d.EndTime } : {}),
        })),
        ...(from + max < all.length ? { NextToken: String(from + max) } : {}),
      };
    },
    cancel(input) {
      const d = find(input);
      if (d.BulkOperationStatus !== 'IN_PROGRESS') {
        throw fail(
          'ValidationException',
          `Bulk operation is ${d.BulkOperationStatus}; only IN_PROGRESS can be cancelled`,
        );
      }
      d.BulkOperationStatus = 'CANCELLED';
      d.FailureCode = 'Cancelled';
      d.FailureMessage = 'Cancelled by CancelBulkOperation';
      d.EndTime = Date.now() / 1000;
      return { BulkOperationArn: d.BulkOperationArn, BulkOperationStatus: 'CANCELLING' };
    },
    get started() {
      return ops.size;
    },
    hold() {
      held = true;
    },
    release() {
      held = false;
      for (const go of pending.splice(0)) go();
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
