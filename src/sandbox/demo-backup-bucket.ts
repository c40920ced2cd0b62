import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

// The demo's backup bucket: one of its own, as a user would keep backups apart from the app's files
// (a files bucket holding backups could not be rolled back: S3 deletes only empty buckets).

export async function createDemoBackupBucket(s3Endpoint: string, bucket: string): Promise<void> {
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  } finally {
    s3.destroy();
  }
}
