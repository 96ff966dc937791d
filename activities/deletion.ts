import { objectKeys } from '../src/storage/object-keys';
import type { ActivityDeps } from './deps';
import { about, activityLog } from './support';

/**
 * Hook for the tus mode: objects its store keeps for an upload that the prefix deletes below do not
 * reach (the incoming-key prefix already covers `<incoming>.info` and `<incoming>.part`). Empty
 * until tus needs more.
 */
export function tusLeftoverKeys(_tenantId: string, _uploadId: string): string[] {
  return [];
}

/** Deleting an upload (workflows/upload-deletion.workflow.ts). Both steps are idempotent. */
export function deletionActivities({ uploads, storage }: ActivityDeps) {
  return {
    /** From now on no output row can be written and the upload no longer counts toward the quota. */
    async markUploadDeleted({ uploadId }: { uploadId: string }): Promise<void> {
      await uploads.markDeleted(uploadId);
    },

    /**
     * Removes everything stored for the upload: unfinished multipart uploads (the client's and the
     * outputs'), the incoming object, the original and every output, and the output rows. An
     * infected original under quarantine/ is kept: it is the operator's evidence, not tenant data.
     */
    async purgeUpload({ uploadId }: { uploadId: string }): Promise<{ objects: number }> {
      const upload = await uploads.findById(uploadId);
      if (!upload) return { objects: 0 };
      const { tenantId } = upload;
      const incoming = objectKeys.incoming(tenantId, uploadId);
      const stored = objectKeys.storedPrefix(tenantId, uploadId);
      const aborted = (await storage.abortMultipartUploadsUnder(incoming)) + (await storage.abortMultipartUploadsUnder(stored));
      // Prefixes, not keys: the incoming key's siblings (tus metadata) and every attempt's output.
      let objects = (await storage.deletePrefix(incoming)) + (await storage.deletePrefix(stored));
      for (const key of tusLeftoverKeys(tenantId, uploadId)) {
        await storage.delete(key);
        objects++;
      }
      await uploads.deleteOutputs(uploadId);
      activityLog().info('upload purged', { ...about(upload), objects, multipartAborted: aborted });
      return { objects };
    },
  };
}
