import { ApplicationFailure } from '@temporalio/common';
import { TERMINAL_STATUSES } from '../src/database/entities/upload.entity';
import { objectKeys } from '../src/storage/object-keys';
import { tusKeys } from '../src/tus/tus-keys';
import type { TerminalStatus } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { about, activityLog } from './support';

/** Terminal bookkeeping: the final status, and what storage keeps (or not) of the upload. */
export function finishActivities({ uploads, storage, metrics }: ActivityDeps) {
  /** Bookkeeping on a row that is gone would retry forever: that is a bug, not an outage. */
  async function getUpload(uploadId: string) {
    const upload = await uploads.findById(uploadId);
    if (!upload) throw ApplicationFailure.nonRetryable(`upload ${uploadId} does not exist`, 'UPLOAD_NOT_FOUND');
    return upload;
  }

  return {
    /**
     * Records the outcome. Whatever it is, nothing a client wrote stays at the incoming key; a
     * rejected upload also loses its original and any partial outputs (an infected one was already
     * moved under quarantine/). A failed one keeps them, unserved, for a retry to resume from
     * (POST /v1/admin/uploads/:id/retry); deleting the upload removes them.
     */
    async finishUpload(input: {
      uploadId: string;
      status: Exclude<TerminalStatus, 'expired'>;
      error: { code: string; message: string } | null;
    }): Promise<void> {
      const upload = await getUpload(input.uploadId);
      await uploads.finish(input.uploadId, input.status, input.error);
      await storage.delete(objectKeys.incoming(upload.tenantId, upload.id));
      if (input.status === 'rejected') {
        await uploads.deleteOutputs(upload.id);
        await storage.deletePrefix(objectKeys.outputsPrefix(upload.tenantId, upload.id));
        await storage.delete(objectKeys.original(upload.tenantId, upload.id));
      }
      activityLog().info('upload finished', { ...about(upload), status: input.status, error: input.error?.code });
      metrics?.uploadFinished(upload, input.status);
    },

    /**
     * The upload window closed: drop whatever partial object exists (a multipart upload's parts
     * too: storage keeps them, and bills them, until aborted) and mark the upload expired. Every
     * multipart upload on the incoming key goes, not only a recorded one: tus opens its own there
     * and records it only in its state objects under tus/, which go too.
     */
    async expireUpload({ uploadId }: { uploadId: string }): Promise<void> {
      const upload = await getUpload(uploadId);
      const incoming = objectKeys.incoming(upload.tenantId, upload.id);
      await storage.abortMultipartUploadsUnder(incoming);
      await storage.delete(incoming);
      await storage.deletePrefix(tusKeys.statePrefix({ tenantId: upload.tenantId, uploadId: upload.id }));
      await uploads.finish(uploadId, 'expired', {
        code: 'UPLOAD_EXPIRED',
        message: 'No upload was completed before expiresAt',
      });
      metrics?.uploadFinished(upload, 'expired');
      activityLog().info('upload expired', about(upload));
    },

    /**
     * After the upload URL has expired: removes anything PUT to it after the upload ended. Leaves a
     * still-processing upload's incoming object alone (`deleted: false`).
     */
    async deleteIncoming({ uploadId }: { uploadId: string }): Promise<{ deleted: boolean }> {
      const upload = await getUpload(uploadId);
      if (!TERMINAL_STATUSES.has(upload.status)) return { deleted: false };
      await storage.delete(objectKeys.incoming(upload.tenantId, upload.id));
      return { deleted: true };
    },
  };
}
