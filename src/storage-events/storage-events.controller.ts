import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { keysOfNotification } from './incoming-key';
import { StorageEventsGuard } from './storage-events.guard';
import { StorageEventsService } from './storage-events.service';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { ApiAuth, Fails, RespondsEmpty } from '../openapi/decorators';

/**
 * Bucket notifications (s3:ObjectCreated:* under incoming/, MinIO's webhook target): how Intake
 * notices a form upload's bytes without a `complete` call. MinIO queues events while the API is
 * down and retries any non-2xx answer, so only a transient failure (database, Temporal) is one.
 */
@ApiTags('Storage events')
@Controller('v1/storage-events')
@UseGuards(StorageEventsGuard)
export class StorageEventsController {
  constructor(@Inject(StorageEventsService) private readonly events: StorageEventsService) {}

  @ApiAuth.storageEvents()
  @ApiBody({ schema: { type: 'object', description: 'An S3 event notification (MinIO webhook target).' } })
  @RespondsEmpty(204, 'Looked at; form uploads whose bytes arrived start processing.')
  @Fails({ 404: [ErrorCode.NOT_FOUND] })
  @Post()
  @HttpCode(204)
  async receive(@Body() body: unknown): Promise<void> {
    for (const key of keysOfNotification(body)) await this.events.lookAt(key);
  }
}
