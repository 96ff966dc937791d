// Creates the app's bucket in the local MinIO if it is missing (scripts/lib/stack.sh runs this
// once MinIO is ready), with a lifecycle rule that expires anything under incoming/ after 8 days
// (the longest upload window is 7) and aborts multipart uploads left open as long: a backstop for
// client PUTs and parts the workflow's sweeper missed.
// Reads the same S3_* variables as the app.
import { CreateBucketCommand, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';

const env = process.env;
const bucket = env.S3_BUCKET ?? 'intake';
const s3 = new S3Client({
  endpoint: env.S3_ENDPOINT ?? 'http://127.0.0.1:9000',
  region: env.S3_REGION ?? 'us-east-1',
  forcePathStyle: true,
  credentials: {
    accessKeyId: env.S3_ACCESS_KEY_ID ?? 'intake',
    secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? 'intake-secret-key',
  },
});

try {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  console.log(`  bucket       created ${bucket}`);
} catch (err) {
  if (err?.name !== 'BucketAlreadyOwnedByYou') throw err;
  console.log(`  bucket       ${bucket} exists`);
}
await notifyArrivals();
try {
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: 'expire-incoming',
            Status: 'Enabled',
            Filter: { Prefix: 'incoming/' },
            Expiration: { Days: 8 },
            // Parts of multipart uploads nobody completed or aborted (expireUpload aborts them; this
            // is the backstop). MinIO accepts and ignores it: it drops stale uploads on its own.
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 8 },
          },
        ],
      },
    }),
  );
} finally {
  s3.destroy();
}

// STORAGE_EVENTS_ARN (set by start_minio): every object created under incoming/ is announced to
// that target (the API's /v1/storage-events), so form uploads need no complete call. Replaces the
// bucket's notification configuration, so a rerun leaves exactly this one.
async function notifyArrivals() {
  const arn = env.STORAGE_EVENTS_ARN;
  if (!arn) return;
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: 'intake-arrivals',
            QueueArn: arn,
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
          },
        ],
      },
    }),
  );
  console.log(`  bucket       ${bucket} announces new incoming/ objects to ${arn}`);
}
