// User-facing text of the vectors component. Re-exported through src/ui/messages.ts as messages.vectors.

const list = (xs: readonly string[]) => xs.join(', ');

export const vectorsMessages = {
  tableTitle: 'DynamoDB vector table and vector index',
  copyTitle: 'Qdrant points into DynamoDB',
  tableResource: (table: string) => `dynamodb table ${table}`,
  collectionResource: (collection: string, table: string) =>
    `qdrant collection ${collection} -> dynamodb table ${table}`,

  // qdrant source
  collectionGone: (collection: string, host: string) =>
    `Qdrant collection ${collection} no longer exists on ${host}.`,
  collectionGoneHint:
    'Someone deleted or renamed it. Restore it and rerun (the copy resumes from its checkpoint), or remove it from source.qdrant.collections.',
  goneMidCopy: (collection: string, copied: number) =>
    `Qdrant collection ${collection} disappeared during the copy, after ${copied} point(s) were copied.`,
  unauthorized: (host: string) => `Qdrant at ${host} refused the API key (HTTP 401/403).`,
  unauthorizedHint: 'Check source.qdrant.apiKey (a read-capable key of this cluster).',
  qdrantFailed: (what: string, host: string) => `Qdrant call "${what}" to ${host} failed.`,
  qdrantFailedHint:
    'Check source.qdrant.url and that Qdrant is up; rerun to resume from the last checkpoint (--verbose shows the reply).',
  collectionMissing: (names: readonly string[], host: string) =>
    `source.qdrant.collections names ${list(names)}, which ${names.length === 1 ? 'does' : 'do'} not exist on ${host}.`,
  collectionMissingHint: (existing: readonly string[]) =>
    `Existing collections: ${existing.length > 0 ? list(existing) : '(none)'}. Fix the names or use a glob such as "docs_*".`,
  vectorNameNeeded: (collection: string, names: readonly string[], chosen: string | undefined) =>
    chosen === undefined
      ? `Qdrant collection ${collection} has several named vectors (${list(names)}); one DynamoDB vector attribute holds one of them.`
      : `source.qdrant.vectorName is "${chosen}", but collection ${collection} has the vectors ${list(names)}.`,
  vectorNameHint: 'Set source.qdrant.vectorName to the named vector to migrate.',

  // plan errors
  distanceUnsupported: (collection: string, distance: string) =>
    `Qdrant collection ${collection} uses ${distance} distance; DynamoDB vector indexes support only COSINE, EUCLIDEAN and DOT_PRODUCT.`,
  distanceUnsupportedHint:
    'Re-embed or re-index that collection with Cosine, Euclid or Dot in Qdrant, or leave it out of source.qdrant.collections.',
  multivector: (collection: string) =>
    `Qdrant collection ${collection} stores multivectors; a DynamoDB vector index holds one vector per item.`,
  multivectorHint:
    'Leave this collection out of source.qdrant.collections, or pool its multivectors into single vectors first.',
  sparse: (collection: string, names: readonly string[]) =>
    `Qdrant collection ${collection} has sparse vectors (${list(names)}); DynamoDB vector indexes are dense only.`,
  sparseHint:
    'Set source.qdrant.ignoreSparseVectors to true to migrate the dense vectors and leave the sparse ones behind.',
  sparseSkipped: (collection: string, names: readonly string[]) =>
    `Sparse vectors ${list(names)} of ${collection} are NOT migrated (source.qdrant.ignoreSparseVectors).`,
  otherVectorsSkipped: (collection: string, names: readonly string[]) =>
    `Named vectors ${list(names)} of ${collection} are NOT migrated (only source.qdrant.vectorName is).`,
  dimensions: (collection: string, dims: number) =>
    `Qdrant collection ${collection} has ${dims}-dimensional vectors; DynamoDB vector indexes take 1 to 4096 dimensions.`,
  dimensionsHint: 'Leave that collection out of source.qdrant.collections.',
  tableMismatch: (table: string, lines: readonly string[]) =>
    `The existing DynamoDB table ${table} does not fit the vectors: ${lines.join('; ')}.`,
  tableMismatchHint:
    'Point target.dynamodb.vectorTable at a new table name (this tool creates it), or fix the table by hand; this tool never changes a table it did not create.',

  // table manager
  tableMissing: (table: string) => `table ${table} does not exist`,
  notOnDemand: (table: string, mode: string) =>
    `table ${table} is ${mode}; vector indexes need on-demand (PAY_PER_REQUEST)`,
  wrongKeys: (table: string, keys: readonly string[]) =>
    `table ${table} is keyed ${list(keys)}; expected pk (HASH, S) + sk (RANGE, S)`,
  indexMissing: (table: string, index: string) => `vector index ${index} missing on ${table}`,
  indexDiffers: (index: string, field: string, actual: unknown, expected: unknown) =>
    `vector index ${index} has ${field} ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
  notActive: (table: string, index?: string) =>
    `DynamoDB table ${table}${index ? ` (vector index ${index})` : ''} did not become ACTIVE within 10 minutes.`,
  notActiveHint: 'Check the table in the DynamoDB console; rerun apply once it is ACTIVE (it resumes).',

  // plan lines
  planCreate: (table: string, indexes: number) =>
    `create on-demand table ${table} (pk, sk) with ${indexes} vector index(es)`,
  planAddIndexes: (table: string, indexes: readonly string[]) =>
    `add vector index(es) ${list(indexes)} to ${table}`,
  planNoop: (table: string) => `table ${table} and its vector indexes are in place`,
  planCopy: (collection: string, points: number, table: string, index: string, resumeAfter?: number) =>
    `copy ${points} point(s) of ${collection} into ${table} (index ${index})${resumeAfter ? `, resuming after ${resumeAfter}` : ''}`,
  planCopied: (collection: string, points: number) => `${collection}: ${points} point(s) already copied`,
  bulkChosen: (collection: string, points: number, threshold: number, location: string) =>
    `${collection} has ${points} points, above target.dynamodb.bulkThresholdPoints (${threshold}): staged as gzip DynamoDB JSON under ${location}, then loaded by DynamoDB's bulk load from S3 (StartBulkPutItems) instead of BatchWriteItem.`,
  batchChosen: (collection: string, points: number, threshold: number) =>
    `${collection} has ${points} points, at most target.dynamodb.bulkThresholdPoints (${threshold}): BatchWriteItem.`,
  bulkStagingMissing:
    'The bulk path (StartBulkPutItems) needs an S3 staging location, and neither target.dynamodb.bulkStaging.bucket nor target.s3.bucket is set.',
  bulkStagingMissingHint:
    'Set target.dynamodb.bulkStaging.bucket (an existing bucket this tool may write and DynamoDB may read), or configure target.s3.bucket, or raise target.dynamodb.bulkThresholdPoints to keep BatchWriteItem.',

  // apply
  created: (table: string) => `created DynamoDB table ${table}`,
  indexAdded: (table: string, index: string) => `added vector index ${index} to ${table}`,
  deleted: (kind: string, name: string) => `deleted ${kind} ${name}`,
  copied: (collection: string, written: number, rejected: number) =>
    `${collection}: ${written} point(s) written${rejected > 0 ? `, ${rejected} rejected (see verify)` : ''}`,
  pointRejected: (collection: string, id: string, reason: string) =>
    `${collection}: point ${id} not copied: ${reason}`,
  itemsDeleted: (collection: string, n: number) => `${collection}: deleted ${n} item(s) this tool wrote`,
  writeGaveUp: (table: string, attempts: number) =>
    `DynamoDB kept throttling writes to ${table} after ${attempts} attempts.`,
  unprocessedGaveUp: (table: string, left: number, attempts: number) =>
    `DynamoDB left ${left} item(s) unprocessed on ${table} after ${attempts} attempts.`,
  writeGaveUpHint:
    "Lower target.dynamodb.writesPerSecond or writeConcurrency, or check the table's limits; rerun to resume from the last checkpoint.",

  // bulk path
  bulkStaged: (collection: string, objects: number, items: number, location: string) =>
    `${collection}: staged ${items} item(s) in ${objects} object(s) under ${location}`,
  bulkStarted: (collection: string, arn: string) => `${collection}: bulk import started (${arn})`,
  bulkResumed: (collection: string, arn: string, status: string) =>
    `${collection}: resuming the journaled bulk import ${arn} (${status}) instead of starting another`,
  bulkDone: (collection: string, processed: number, failed: number) =>
    `${collection}: bulk import imported ${processed - failed} item(s)${failed > 0 ? `, ${failed} failed` : ''}`,
  bulkFailedItems: (collection: string, failed: number, location: string) =>
    `${collection}: DynamoDB could not import ${failed} item(s); its error report is under ${location}`,
  bulkFailed: (collection: string, arn: string, status: string, code?: string, message?: string) =>
    `The bulk import of ${collection} (${arn}) ended ${status}${code ? `: ${code}` : ''}${message ? ` (${message})` : ''}.`,
  bulkFailedHint:
    'The staged objects are kept; fix the cause (table, S3 permissions for DynamoDB, quotas) and rerun apply: a new import starts from them.',
  bulkStagingCleaned: (collection: string, n: number) => `${collection}: deleted ${n} staged object(s)`,

  // verify
  verifyFailed: 'Could not verify the vectors.',
  applyPhase1Hint: 'Run `engify-migrate apply --phase 1`.',
  countHint: (collection: string) =>
    `Rerun \`engify-migrate apply --phase 2\` to finish ${collection}; if the source changed since, run sync.`,
  rejectedHint: (n: number) =>
    `${n} point(s) could not be stored (reasons listed). Fix them in Qdrant and rerun, or accept the gap knowingly.`,
  sampleHint: (ids: readonly string[]) =>
    `Points ${list(ids)} differ between Qdrant and DynamoDB (changed since the copy? run sync), or were not copied.`,
  recallHint: (threshold: number) =>
    `Recall is below target.dynamodb.recallThreshold (${threshold}): check the index's distance and dimensions, and that the copy is complete.`,

  // sync passes (forward: Qdrant -> DynamoDB before cutover; reverse: DynamoDB -> Qdrant after)
  forwardPassed: (collection: string, applied: number, deleted: number, unchanged: number) =>
    `vectors ${collection}: ${applied} point(s) written to DynamoDB, ${deleted} deleted, ${unchanged} unchanged`,
  reversePassed: (collection: string, applied: number, unchanged: number, refused: number) =>
    `vectors ${collection}: ${applied} item(s) carried back to Qdrant, ${unchanged} unchanged${refused > 0 ? `, ${refused} refused` : ''}`,
  reverseDeletedRefused:
    'deleted from DynamoDB after cutover but still in Qdrant: not deleted there, because nothing in the journal shows this tool created that point (the old system is never pruned by the tool); delete it in Qdrant yourself if the deletion must carry back',
  reverseNoPointId: (sk: string) =>
    `item ${sk} has no usable point_id: expected an unsigned integer or a UUID, as Qdrant point ids are`,
  reverseIdTooLarge: (id: string) =>
    `point id ${id} is above 2^53: it cannot be sent through Qdrant's JSON API without losing digits`,
  reverseNoVector: (attribute: string) => `item has no vector in attribute ${attribute} (a list of numbers)`,
  reverseBadPayload: 'item payload is not a map: Qdrant payloads are JSON objects',
  reverseWouldDropVectors: (others: readonly string[]) =>
    `the Qdrant point also holds vector(s) ${list(others)} that DynamoDB does not carry; an upsert would erase them, so the change is not carried back (update that point in Qdrant by hand)`,
  reverseQdrantWriteFailed: (collection: string, host: string) =>
    `Writing points back into Qdrant collection ${collection} on ${host} failed.`,
  reverseQdrantWriteHint:
    'Check that source.qdrant.apiKey may write (reverse sync after cutover needs a read-write key) and that Qdrant is up; the next pass retries every item still unmarked.',
} as const;
