import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppError, ErrorCode } from '../common/errors';
import { LOGGER } from '../common/logger';
import { UploadStore } from '../uploads/upload-store';
import { UploadsService } from '../uploads/uploads.service';
import { parseIncomingKey } from './incoming-key';

export type ArrivalVerdict = 'signalled' | 'ignored';

/**
 * Turns "something was written at this key" into the arrival of a form (`post`) upload. Only the
 * key is taken from the notification: the upload comes from the database, the ETag from a HEAD of
 * the object as it is now. Uploads whose client calls `complete` (put, multipart) are left alone.
 */
@Injectable()
export class StorageEventsService {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(UploadsService) private readonly uploadsService: UploadsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async lookAt(key: string): Promise<ArrivalVerdict> {
    const named = parseIncomingKey(key);
    if (!named) return 'ignored';
    const upload = await this.uploads.findForTenant(named.uploadId, named.tenantId);
    if (!upload || upload.mode !== 'post' || upload.status !== 'awaiting_upload') return 'ignored';

    try {
      if (!(await this.uploadsService.signalStoredObject(upload))) return 'ignored';
    } catch (err) {
      // The workflow already ended (expired): nothing to tell it. Anything else is retried by the sender.
      if (err instanceof AppError && err.code === ErrorCode.UPLOAD_EXPIRED) return 'ignored';
      throw err;
    }
    this.logger.info({ uploadId: upload.id, tenantId: upload.tenantId }, 'upload arrival noticed by a storage event');
    return 'signalled';
  }
}
