import { getExternalWorkflowHandle, log, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { workflowIdFor } from './contract';

const purging = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export interface UploadDeletionInput {
  uploadId: string;
  /**
   * When to purge a second time (UPLOAD_DELETION_RECHECK_SECONDS). Longer than any write an
   * activity already running at deletion can still make: verify's unfenced copy to the original is
   * bounded by its 10-minute start-to-close timeout; output writes are fenced by the row's status.
   */
  recheckAfterSeconds: number;
}

/**
 * Deletes an upload's data (`upload-<id>-deletion`, started by DELETE /v1/uploads/:id). The row
 * is `deleted` first, which fences every later output write; then the upload's workflow is
 * cancelled (running activities learn it at their next heartbeat), its storage purged, the tenant
 * told (`upload.deleted`), and purged again once nothing that was already running can still write. Every step is idempotent, so a
 * second DELETE simply runs it again.
 */
export async function uploadDeletionWorkflow({ uploadId, recheckAfterSeconds }: UploadDeletionInput): Promise<void> {
  await purging.markUploadDeleted({ uploadId });
  try {
    await getExternalWorkflowHandle(workflowIdFor(uploadId)).cancel();
  } catch (err) {
    // Already finished (or never started): nothing to stop.
    log.info('upload workflow not cancelled', { uploadId, error: String(err) });
  }
  await purging.purgeUpload({ uploadId });
  // Deletions started before durable webhooks announced nothing (patched() keeps them so on replay).
  if (patched('durable-webhooks')) await purging.publishEvent({ uploadId, event: 'upload.deleted' });
  await sleep(recheckAfterSeconds * 1000);
  await purging.purgeUpload({ uploadId });
}
