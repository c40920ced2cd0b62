// User-facing text of the files component. Re-exported through src/ui/messages.ts as messages.files.

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export const filesMessages = {
  bucketForeign: (bucket: string) =>
    `The bucket ${bucket} exists but these credentials cannot access it (403): bucket names are global.`,
  bucketForeignHint: 'Pick another target.s3.bucket name, or use credentials of the account that owns it.',
  bucketBusy: (bucket: string, what: string, tries: number) =>
    `S3 answered OperationAborted (409) to setting ${what} on bucket ${bucket} ${tries} times: another operation on that bucket is still in progress.`,
  bucketBusyHint:
    'Wait a minute (a bucket created moments ago can stay busy briefly), then run the same command again; nothing was lost.',
  missingField: (field: string, mode: string) =>
    `${field} is required to read Supabase Storage in '${mode}' mode.`,
  missingFieldHint: (field: string) =>
    `Set ${field} in migrations.config.json (or choose another source.supabase.storage.mode: 'db', 'api' or 's3').`,
  apiUnauthorized: (host: string) => `The Supabase Storage API at ${host} refused the service role key.`,
  s3Unauthorized: (host: string, code: string) =>
    `The Supabase Storage S3 endpoint at ${host} refused the S3 access keys (${code}).`,
  s3UnauthorizedHint:
    'Set source.supabase.storage.s3AccessKeyId and source.supabase.storage.s3SecretAccessKey to an S3 access key pair of this project (Storage settings, S3 access keys), and check source.supabase.storage.s3Endpoint.',
  apiUnauthorizedHint:
    "Set source.supabase.serviceRoleKey to the project's service_role key (Project Settings > API), not the anon key.",
  apiUnavailable: (host: string, what: string, status: number) =>
    `The Supabase Storage API at ${host} kept answering HTTP ${status} for ${what}.`,
  apiUnavailableHint:
    'Supabase may be degraded; run the same command again later: the copy resumes where it stopped.',
  apiUnreachable: (host: string) => `Cannot reach the Supabase Storage API at ${host}.`,
  apiUnreachableHint: 'Check source.supabase.apiUrl, your network and any proxy in between.',
  unknownBuckets: (names: string[], available: string[]) =>
    `source.supabase.buckets names bucket(s) that do not exist: ${names.join(', ')} (found: ${available.join(', ') || 'none'}).`,
  unknownBucketsHint: 'Fix the names in source.supabase.buckets, or use a glob such as "avatars*".',
  noBuckets: 'No Supabase Storage bucket matches source.supabase.buckets: nothing to copy.',
  copySummary: (bucket: string, objects: number, bytes: number, target: string) =>
    `copy ${objects} object(s), ${mib(bytes)}, from bucket ${bucket} to ${target}`,
  alreadyCopied: (bucket: string) => `bucket ${bucket} already copied (per the journal)`,
  publicBucket: (bucket: string) =>
    `Bucket ${bucket} is public on Supabase. S3 buckets are private: serve it through CloudFront (recommended) or a bucket policy, and change URLs built with getPublicUrl() (/storage/v1/object/public/${bucket}/...).`,
  privateBucket: (bucket: string) =>
    `Bucket ${bucket} is private: URLs the app makes with createSignedUrl()/createSignedUrls() (/storage/v1/object/sign/${bucket}/...) must become S3 presigned GetObject URLs.`,
  unknownVisibility: (bucket: string) =>
    `Cannot tell whether bucket ${bucket} is public through the S3-compatible endpoint; set source.supabase.apiUrl and serviceRoleKey to find out. Public buckets need CloudFront or a bucket policy on AWS.`,
  gone: (bucket: string, name: string) =>
    `skipped ${bucket}/${name}: deleted from Supabase after it was listed`,
  conflict: (key: string) => `left ${key} alone: an object this tool did not write is already there`,
  conflicts: (count: number, examples: string[]) =>
    `${count} object(s) were not copied because the target already holds objects this tool did not write (e.g. ${examples.join(', ')}).`,
  conflictsHint:
    'Check those keys in the target bucket; rerun with --force to overwrite them, or change target.s3.prefix.',
  droppedMetadata: (key: string, why: string) => `${key}: ${why}; the object was copied without it`,
  bucketDone: (bucket: string, copied: number, skipped: number, gone: number, bytes: number) =>
    `bucket ${bucket}: ${copied} copied, ${skipped} already there, ${gone} gone, ${mib(bytes)}`,
  checkCount: (bucket: string) => `files ${bucket}: object count`,
  checkBytes: (bucket: string) => `files ${bucket}: total bytes`,
  checkHashes: (bucket: string) => `files ${bucket}: size and SHA-256 of every object`,
  checkExtra: (bucket: string) => `files ${bucket}: no objects on the target that Supabase lacks`,
  countHint: 'Run `engify-migrate apply --phase 2` again: the copy resumes and fills what is missing.',
  hashHint:
    'The listed objects differ between Supabase and S3 (missing, corrupted or changed since the copy). Roll back files.copy and apply again, or let sync catch up if the source changed.',
  extraHint:
    'Objects were deleted from Supabase after the copy, or written to the target by something else; sync removes deletions.',
  checkWrittenOnAws: (bucket: string, n: number) => `files ${bucket}: written on AWS after cutover: ${n}`,
  writtenOnAwsHint:
    "The files flag is past cutover: the app writes S3, so objects without this tool's marker (new, or rewritten by the app) are expected. Reverse sync carries them to Supabase; they are reported, not compared against Supabase.",
  checkDeletedOnAws: (bucket: string, n: number) => `files ${bucket}: deleted on AWS after cutover: ${n}`,
  deletedOnAwsHint:
    'The files flag is past cutover: these Supabase objects are gone from S3, which is what an app deletion on AWS looks like. Reverse sync keeps them on Supabase (deletions are not carried back).',
  notWrittenByTool: "on S3 without this tool's marker and not carried back by reverse sync",
  flagUnreadable: (location: string, why: string) =>
    `could not read the files flag from ${location} (${why}); verifying as if the files flag were 'source' (strictest)`,
  verifyFailed: (bucket: string) => `files ${bucket}: verification could not run`,
  verifyFailedHint:
    'Check that Supabase and the target bucket are reachable with the configured credentials, then verify again.',
  rolledBack: (bucket: string, deleted: number, kept: number) =>
    `bucket ${bucket}: deleted ${deleted} object(s) this tool wrote, kept ${kept} it did not`,
  // Incremental passes for sync (src/sync/files-passes.ts).
  passForeignObject:
    'an object this tool did not write is at this key on S3: left alone (move it away, or copy with apply --force)',
  passBothChanged:
    'changed on Supabase and on S3 since the reverse pass carried it: left alone; decide which version to keep and delete the other',
  passForeignNotDeleted: 'deleted on Supabase, but the S3 object was not written by this tool: kept on S3',
  reverseNotDeleted:
    'deleted on S3 after cutover: kept on Supabase Storage (reverse sync never deletes on the old system what this tool did not put there); delete it there yourself if that was intended',
  reverseRefused: (status: number, why: string) =>
    `Supabase Storage refused the upload (HTTP ${status}: ${why}); check the bucket's size limit and allowed MIME types`,
  reverseNeedsApi: (field: string) =>
    `Reverse sync of files writes to Supabase Storage through its API, and ${field} is not set.`,
  reverseNeedsApiHint:
    'Set source.supabase.apiUrl and source.supabase.serviceRoleKey (the service role key, read from an environment variable).',
  forwardPassDone: (bucket: string, applied: number, deleted: number, unchanged: number, refused: number) =>
    `files ${bucket} -> S3: ${applied} copied, ${deleted} deleted, ${unchanged} unchanged, ${refused} refused`,
  reversePassDone: (bucket: string, applied: number, deleted: number, unchanged: number, refused: number) =>
    `files S3 -> ${bucket}: ${applied} carried back, ${deleted} deleted, ${unchanged} unchanged, ${refused} refused`,
  reverseCarried: (key: string) => `carried ${key} back to Supabase Storage`,
  refusedMore: (count: number) => `${count} more refused item(s) not listed`,
} as const;
