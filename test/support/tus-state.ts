import { Upload as TusUpload } from '@tus/utils';
import { Readable } from 'node:stream';
import type { AppConfig } from '../../src/config/config';
import { IntakeS3Store } from '../../src/tus/intake-s3-store';
import { tusKeys } from '../../src/tus/tus-keys';

const MiB = 1024 * 1024;

/** The tus store as the API builds it, on the test stack's S3 (its metadata cache in memory). */
export function tusStore(config: AppConfig): IntakeS3Store {
  return new IntakeS3Store({
    partSize: 5 * MiB,
    expirationPeriodInMilliseconds: 0,
    useTags: false,
    s3ClientConfig: {
      bucket: config.S3_BUCKET,
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
  });
}

/**
 * What a tus client that stopped part-way leaves in storage: 6 MiB of a 12 MiB upload, i.e. one
 * stored part in the multipart upload open on the incoming key, `.info`, and a 1 MiB `.part`.
 */
export async function halfSentTusUpload(config: AppConfig, tenantId: string, uploadId: string): Promise<void> {
  const store = tusStore(config);
  const id = tusKeys.storageId({ tenantId, uploadId });
  await store.create(new TusUpload({ id, size: 12 * MiB, offset: 0, metadata: { filename: 'a.txt', filetype: 'text/plain' } }));
  await store.write(Readable.from([Buffer.alloc(6 * MiB, 'a')]), id, 0);
}
