import { PassThrough } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { BulkOperationDescription, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { sleep, withRetry } from '../../core/retry.js';
import type { Item } from './vector-item-codec.js';

// DynamoDB's bulk load from S3 (StartBulkPutItems), as the API reference and the developer guide
// ("Amazon S3 input formats for bulk put items") describe it:
// - input: objects under one S3 key prefix, DYNAMODB_JSON = JSON Lines, one `{"Item": {...}}` record
//   per line in DynamoDB's marshalled form, optionally GZIP- or ZSTD-compressed (we write GZIP);
// - output: a required OutputS3Configuration where DynamoDB writes the records it could not write
//   (OutputType ERROR);
// - status: DescribeBulkOperation(BulkOperationArn) until COMPLETED, COMPLETED_WITH_ERRORS, FAILED or
//   CANCELLED, with ProcessedItemCount and FailedItemCount;
// - ClientToken: the same token and parameters within 8 hours return the same operation, so a start
//   that crashed before its ARN was journaled is re-sent, never doubled.

export const TERMINAL = new Set(['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED', 'CANCELLED']);

/** One staged object: items are streamed through gzip into a multipart upload, never held whole. */
export class StagedObject {
  private readonly gzip = createGzip();
  private readonly done: Promise<unknown>;
  items = 0;
  rawBytes = 0;

  private constructor(upload: (body: PassThrough) => Promise<unknown>) {
    const body = new PassThrough();
    this.gzip.pipe(body);
    this.done = upload(body);
    // Surface an upload failure to the writer instead of leaving write() waiting on 'drain'.
    this.done.catch((error: unknown) => this.gzip.destroy(error as Error));
  }

  static async open(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<StagedObject> {
    const { Upload } = await import('@aws-sdk/lib-storage');
    return new StagedObject((stream) => {
      const upload = new Upload({
        client: s3,
        params: {
          Bucket: bucket,
          Key: key,
          Body: stream,
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        },
        // 8 MiB parts, two in flight: memory stays at a few parts whatever the collection size.
        partSize: 8 * 1024 * 1024,
        queueSize: 2,
        leavePartsOnError: false,
      });
      signal?.addEventListener('abort', () => void upload.abort().catch(() => undefined), { once: true });
      return upload.done();
    });
  }

  /** Appends one item as a DYNAMODB_JSON line; resolves once the stream can take more. */
  async write(item: Item): Promise<void> {
    const line = `${JSON.stringify({ Item: item })}\n`;
    this.items++;
    this.rawBytes += Buffer.byteLength(line);
    if (!this.gzip.write(line)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.gzip.off('error', onError);
          resolve();
        };
        const onError = (error: Error) => {
          this.gzip.off('drain', onDrain);
          reject(error);
        };
        this.gzip.once('drain', onDrain);
        this.gzip.once('error', onError);
      });
    }
  }

  async finish(): Promise<void> {
    this.gzip.end();
    await this.done;
  }
}

/** Object keys under `prefix` (paged). */
export async function* keysUnder(s3: S3Client, bucket: string, prefix: string, signal?: AbortSignal) {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  let token: string | undefined;
  do {
    const out = await withRetry(
      () =>
        s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        ),
      { signal },
    );
    for (const o of out.Contents ?? []) if (o.Key) yield o.Key;
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
}

/** Deletes every object under `prefix`, one by one (s3rver's DeleteObjects races on shared prefixes). */
export async function deletePrefix(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<number> {
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const keys: string[] = [];
  for await (const key of keysUnder(s3, bucket, prefix, signal)) keys.push(key);
  for (const key of keys) {
    await withRetry(() => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })), { signal });
  }
  return keys.length;
}

export interface BulkStart {
  table: string;
  bucket: string;
  inputPrefix: string;
  reportPrefix: string;
  clientToken: string;
}

export async function startBulkPut(
  client: DynamoDBClient,
  start: BulkStart,
  signal?: AbortSignal,
): Promise<BulkOperationDescription> {
  const { StartBulkPutItemsCommand } = await import('@aws-sdk/client-dynamodb');
  // Retrying with the same ClientToken is safe: DynamoDB answers with the operation it already started.
  const out = await withRetry(
    () =>
      client.send(
        new StartBulkPutItemsCommand({
          ClientToken: start.clientToken,
          TableName: start.table,
          InputS3Configuration: {
            S3Bucket: start.bucket,
            S3KeyPrefix: start.inputPrefix,
            InputFormat: 'DYNAMODB_JSON',
            InputCompressionType: 'GZIP',
          },
          OutputS3Configuration: {
            S3Bucket: start.bucket,
            S3KeyPrefix: start.reportPrefix,
            OutputType: ['ERROR'],
          },
        }),
        { abortSignal: signal },
      ),
    { signal },
  );
  if (!out.BulkOperationDescription?.BulkOperationArn) {
    throw new Error('StartBulkPutItems answered without a BulkOperationArn');
  }
  return out.BulkOperationDescription;
}

export async function describeBulk(
  client: DynamoDBClient,
  arn: string,
  signal?: AbortSignal,
): Promise<BulkOperationDescription> {
  const { DescribeBulkOperationCommand } = await import('@aws-sdk/client-dynamodb');
  const out = await withRetry(
    () => client.send(new DescribeBulkOperationCommand({ BulkOperationArn: arn }), { abortSignal: signal }),
    { signal },
  );
  return out.BulkOperationDescription ?? {};
}

/** Polls until the operation reaches a terminal status. */
export async function waitForBulk(
  client: DynamoDBClient,
  arn: string,
  options: { intervalMs: number; signal?: AbortSignal; onProgress?: (d: BulkOperationDescription) => void },
): Promise<BulkOperationDescription> {
  for (;;) {
    const d = await describeBulk(client, arn, options.signal);
    options.onProgress?.(d);
    if (TERMINAL.has(d.BulkOperationStatus ?? '')) return d;
    await sleep(options.intervalMs, options.signal);
  }
}
