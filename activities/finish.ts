import type { TerminalStatus } from '../workflows/contract';
import type { ActivityDeps } from './deps';
import { about, activityLog } from './support';

/** Terminal bookkeeping: the final status, and clean-up of uploads that never arrived. */
export function finishActivities({ uploads, storage }: ActivityDeps) {
  return {
    async finishUpload(input: {
      uploadId: string;
      status: Exclude<TerminalStatus, 'expired'>;
      error: { code: string; message: string } | null;
    }): Promise<void> {
      const upload = await uploads.get(input.uploadId);
      await uploads.finish(input.uploadId, input.status, input.error);
      activityLog().info('upload finished', { ...about(upload), status: input.status, error: input.error?.code });
    },

    /** The upload window closed: drop whatever partial object exists and mark the upload expired. */
    async expireUpload({ uploadId }: { uploadId: string }): Promise<void> {
      const upload = await uploads.get(uploadId);
      await storage.delete(upload.objectKey);
      await uploads.finish(uploadId, 'expired', {
        code: 'UPLOAD_EXPIRED',
        message: 'No upload was completed before expiresAt',
      });
      activityLog().info('upload expired', about(upload));
    },
  };
}
