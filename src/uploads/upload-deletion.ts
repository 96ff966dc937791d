import { Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Logger } from 'pino';
import { TASK_QUEUES, deletionWorkflowIdFor } from '../../workflows/contract';
import { deletionStartOptions } from '../../workflows/visibility';
import type { uploadDeletionWorkflow } from '../../workflows/upload-deletion.workflow';
import { Principal } from '../auth/principal';
import { errors } from '../common/errors';
import { LOGGER } from '../common/logger';
import { AppConfig, CONFIG } from '../config/config';
import { UploadStore } from './upload-store';
import { UploadsService } from './uploads.service';

export interface DeletedUpload {
  id: string;
  status: 'deleted';
}

/**
 * DELETE /v1/uploads/:id. The durable part (cancel the pipeline, purge storage now and once more
 * later) is a workflow, so it completes even if this process dies right after answering. It is
 * started before the row changes: if Temporal is unreachable the call fails and nothing changed.
 */
@Injectable()
export class UploadDeletion {
  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(UploadsService) private readonly uploadsService: UploadsService,
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(Client) private readonly temporal: Client,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Idempotent: deleting a deleted upload answers the same and purges once more. */
  async delete(principal: Principal, id: string): Promise<DeletedUpload> {
    const upload = await this.uploadsService.findVisible(principal, id);
    try {
      await this.temporal.workflow.start<typeof uploadDeletionWorkflow>('uploadDeletionWorkflow', {
        taskQueue: TASK_QUEUES.uploads,
        workflowId: deletionWorkflowIdFor(id),
        args: [{ uploadId: id, recheckAfterSeconds: this.config.UPLOAD_DELETION_RECHECK_SECONDS }],
        memo: { tenantId: upload.tenantId },
        ...deletionStartOptions(id, upload.tenantId),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        this.logger.error({ err, uploadId: id, tenantId: upload.tenantId }, 'could not start upload deletion');
        throw errors.dependencyUnavailable('temporal');
      }
    }
    // The workflow marks it too; doing it here as well makes the answer true the moment it is sent.
    await this.uploads.markDeleted(id);
    this.logger.info({ uploadId: id, tenantId: upload.tenantId, previousStatus: upload.status }, 'upload deleted');
    return { id, status: 'deleted' };
  }
}
