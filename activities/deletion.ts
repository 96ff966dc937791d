import { objectKeys } from '../src/storage/object-keys';
import { tusKeys } from '../src/tus/tus-keys';
import type { ActivityDeps } from './deps';
import { about, activityLog } from './support';

/** Deleting an upload (workflows/upload-deletion.workflow.ts). Both steps are idempotent. */
export function deletionActivities({ uploads, storage }: ActivityDeps) {
  return {
    /** From now on no output row can be written and the upload no longer counts toward the quota. */
    async markUploadDeleted({ uploadId }: { uploadId: string }): Promise<void> {
      await uploads.markDeleted(uploadId);
    },

    /**
     * Removes everything stored for the upload: unfinished multipart uploads (the client's, tus's
     * and the outputs'), tus's state objects, the incoming object, the original and every output,
     * and the output rows. An infected original under quarantine/ is kept: it is the operator's
     * evidence, not tenant data.
     */
    async purgeUpload({ uploadId }: { uploadId: string }): Promise<{ objects: number }> {
      const upload = await uploads.findById(uploadId);
      if (!upload) return { objects: 0 };
      const { tenantId } = upload;
      const incoming = objectKeys.incoming(tenantId, uploadId);
      const stored = objectKeys.storedPrefix(tenantId, uploadId);
      const aborted = (await storage.abortMultipartUploadsUnder(incoming)) + (await storage.abortMultipartUploadsUnder(stored));
      // Prefixes, not keys: every attempt's output, and tus's `.info`/`.part` (its multipart upload
      // sits on the incoming key, aborted above).
      const objects =
        (await storage.deletePrefix(incoming)) +
        (await storage.deletePrefix(stored)) +
        (await storage.deletePrefix(tusKeys.statePrefix({ tenantId, uploadId })));
      await uploads.deleteOutputs(uploadId);
      activityLog().info('upload purged', { ...about(upload), objects, multipartAborted: aborted });
      return { objects };
    },
  };
}
