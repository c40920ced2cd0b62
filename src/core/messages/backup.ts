// User-facing text of backup.source, `engify-migrate backup` and `engify-migrate restore`.
// Re-exported through src/core/messages.ts as messages.backup.

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export const backupMessages = {
  title: 'Backup of the source (database, Auth users, Qdrant snapshots) to S3',
  resource: (bucket: string, prefix: string) => `s3://${bucket}/${prefix}`,
  planSummary: (tables: number, bytes: number, collections: number, days: number, encryption: string) =>
    `dump ${tables} table(s) (about ${mib(bytes)} on the source) and the Auth users (${encryption}), snapshot ${collections} Qdrant collection(s); kept ${days} day(s) by a lifecycle rule`,
  planDone: (id: string) =>
    `backup ${id} is complete (per the journal); \`engify-migrate backup\` takes a new one`,
  noBucket:
    'backup.source needs a bucket: set backup.bucket (or target.s3.bucket) in migrations.config.json.',
  noBucketHint: 'The bucket must exist, in target.aws.region, writable by the credentials the tool uses.',
  noSource: 'backup.source needs a database source: source.supabase.dbUrl or source.postgres.url.',
  wrongRegion: (bucket: string, region: string, expected: string) =>
    `The backup bucket ${bucket} is in ${region}, not in target.aws.region (${expected}).`,
  wrongRegionHint:
    'Use a bucket in the target region (set backup.bucket), or change target.aws.region: a backup in another region costs transfer and is not where a restore runs.',
  kmsDenied: (key: string, bucket: string) =>
    `S3 refused to encrypt the Auth users object in ${bucket} with KMS key ${key} (access denied).`,
  kmsDeniedHint:
    "Grant the tool's role kms:GenerateDataKey and kms:Encrypt on that key (key policy or IAM), or remove backup.kmsKeyId to use SSE-S3.",
  noLifecycle: (bucket: string) =>
    `The S3 endpoint for ${bucket} does not implement lifecycle rules: backups there are not expired automatically.`,
  qdrantSnapshotFailed: (collection: string, reason: string) =>
    `Qdrant could not snapshot collection ${collection}: ${reason}.`,
  qdrantNoSpace: (collection: string, dir: string, needed: number) =>
    `Qdrant has no space to stage a snapshot of collection ${collection} in ${dir}: it needs about ${needed} bytes (${mib(needed)}) free there. Nothing of this backup was kept.`,
  qdrantNoSpaceHint:
    "Free that much on the Qdrant server's disk, or point its storage.snapshots_path (QDRANT__STORAGE__SNAPSHOTS_PATH) at a volume with room, then run the same command again.",
  qdrantSnapshotDirUnknown:
    "the Qdrant server's snapshots directory (storage.snapshots_path, default ./snapshots)",
  qdrantSnapshotHint:
    'A snapshot is staged on the Qdrant server first: check its free disk (a snapshot needs about the collection size) and its logs, then run the same command again.',
  taking: (id: string) => `taking backup ${id}`,
  resuming: (id: string) =>
    `backup ${id} was interrupted: taking it again from a fresh snapshot (objects are replaced whole)`,
  uploaded: (key: string, bytes: number) => `uploaded ${key} (${mib(bytes)})`,
  done: (id: string, objects: number, bytes: number) =>
    `backup ${id}: ${objects} object(s), ${mib(bytes)}, manifest written`,
  // restore
  unknownBackup: (id: string, bucket: string, prefix: string) =>
    `No complete backup ${id} in s3://${bucket}/${prefix} (no manifest.json).`,
  unknownBackupHint: (ids: string[]) =>
    ids.length > 0
      ? `Complete backups there: ${ids.join(', ')}. Pass one of them to --backup.`
      : 'There is no complete backup there yet: run `engify-migrate backup` first.',
  notEmpty: (tables: string[]) =>
    `The restore target is not empty: ${tables.slice(0, 10).join(', ')}${tables.length > 10 ? ` and ${tables.length - 10} more` : ''} hold rows.`,
  notEmptyHint:
    'Restore into a fresh database (createdb a new one and pass its URL to --to); nothing was written.',
  badUrl: (value: string) =>
    `--to expects a PostgreSQL URL (postgres://user:password@host:5432/db); got ${value}.`,
  checksumMismatch: (key: string) => `The backup object ${key} does not match the SHA-256 in its manifest.`,
  checksumMismatchHint: 'The object was changed or damaged after the backup: restore another backup.',
  restored: (id: string, tables: number, rows: number) =>
    `restored backup ${id}: ${tables} table(s), ${rows} row(s)`,
  // cutover
  noBackup: (since: string | null) =>
    since
      ? `No complete backup was taken since the copy's snapshot (${since}): after cutover, reverse sync writes into the old database.`
      : 'No complete backup of the source exists: after cutover, reverse sync writes into the old database.',
  noBackupHint: 'Run `engify-migrate backup` first, or pass --no-backup to cut over without one.',
};
