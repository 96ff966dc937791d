import type { Upload } from '../../database/entities/upload.entity';
import { objectKeys } from '../../storage/object-keys';
import { ObjectStorage, PresignedPost } from '../../storage/object-storage';

/**
 * A browser form upload (`mode: "post"`, REST and Uppy). The policy pins everything storage checks
 * on its own: the one incoming key, the exact Content-Type, the size (exactly the declared one, or
 * 1 byte to the upload's limit when none was declared) and the end of the upload window. Nobody
 * calls `complete`: Intake notices the object (bucket notification, or the workflow's polling).
 */
export function presignPostFor(
  storage: ObjectStorage,
  upload: Pick<Upload, 'id' | 'tenantId' | 'contentType' | 'size' | 'maxSize' | 'expiresAt'>,
): Promise<PresignedPost> {
  const [min, max] = upload.size === null ? [1, upload.maxSize] : [upload.size, upload.size];
  // Fractional seconds on purpose: the policy's expiration is then expiresAt itself (whole seconds).
  const expiresIn = Math.max(1, (upload.expiresAt.getTime() - Date.now()) / 1000);
  return storage.presignPost(
    objectKeys.incoming(upload.tenantId, upload.id),
    { 'Content-Type': upload.contentType },
    [['content-length-range', min, max]],
    expiresIn,
  );
}
