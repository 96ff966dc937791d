import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { keysOfNotification } from './incoming-key';
import { StorageEventsGuard } from './storage-events.guard';
import { StorageEventsService } from './storage-events.service';

/**
 * Bucket notifications (s3:ObjectCreated:* under incoming/, MinIO's webhook target): how Intake
 * notices a form upload's bytes without a `complete` call. MinIO queues events while the API is
 * down and retries any non-2xx answer, so only a transient failure (database, Temporal) is one.
 */
@Controller('v1/storage-events')
@UseGuards(StorageEventsGuard)
export class StorageEventsController {
  constructor(@Inject(StorageEventsService) private readonly events: StorageEventsService) {}

  @Post()
  @HttpCode(204)
  async receive(@Body() body: unknown): Promise<void> {
    for (const key of keysOfNotification(body)) await this.events.lookAt(key);
  }
}
