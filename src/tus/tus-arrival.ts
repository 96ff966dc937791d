import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger';
import { objectKeys } from '../storage/object-keys';
import { ObjectStorage } from '../storage/object-storage';
import { UploadStore } from '../uploads/upload-store';
import { UploadsService } from '../uploads/uploads.service';

/**
 * Ends the "bytes are in" phase of a tus upload: once S3 has assembled the incoming object, its
 * ETag goes to the workflow. Called by the finish hook and, for hooks that failed after the client
 * heard success, by the reconciler; both may run for one upload, and the workflow keeps the first
 * signal, so processing starts exactly once.
 */
@Injectable()
export class TusArrival {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(UploadsService) private readonly uploadsService: UploadsService,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * `handed`: the workflow has (or already had) the upload. `waiting`: its bytes are not all in
   * yet, or it is not a tus upload. `late`: its window closed (or it was deleted) before the
   * bytes were assembled; whatever was assembled is deleted here, as the sweeper may have run.
   */
  async signal(uploadId: string): Promise<'handed' | 'waiting' | 'late'> {
    const upload = await this.uploads.findById(uploadId);
    if (!upload || upload.mode !== 'tus') return 'waiting';
    const incoming = objectKeys.incoming(upload.tenantId, upload.id);
    const windowClosed = upload.status === 'awaiting_upload' && upload.expiresAt.getTime() <= Date.now();
    if (windowClosed || upload.status === 'expired' || upload.status === 'deleted') {
      await this.storage.delete(incoming);
      this.logger.info({ uploadId, tenantId: upload.tenantId }, 'tus upload finished after its window: discarded');
      return 'late';
    }
    if (upload.status !== 'awaiting_upload') return 'handed';
    const pinned = await this.uploadsService.signalStoredObject(upload);
    // Not assembled yet: the multipart upload is still open (or was abandoned).
    if (!pinned) return 'waiting';
    this.logger.info({ uploadId, tenantId: upload.tenantId, size: pinned.head.size }, 'tus upload arrived');
    return 'handed';
  }
}
