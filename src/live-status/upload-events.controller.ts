import { Controller, Get, Inject, Param, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { TenantGuard, TokenInQuery } from '../auth/guards';
import { CurrentPrincipal, Principal, canSee } from '../auth/principal';
import { errors } from '../common/errors';
import { TERMINAL_STATUSES } from '../database/entities/upload.entity';
import { UploadStore } from '../uploads/upload-store';
import { uploadId } from '../uploads/uploads.controller';
import { EventStreams } from './event-streams';
import { UploadChangeFeed } from './upload-change-feed';
import { ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { ApiAuth, Fails, RespondsText } from '../openapi/decorators';

@ApiTags('Uploads')
@Controller('v1/uploads')
@UseGuards(TenantGuard)
export class UploadEventsController {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(UploadChangeFeed) private readonly feed: UploadChangeFeed,
    @Inject(EventStreams) private readonly streams: EventStreams,
  ) {}

  /**
   * Server-Sent Events: `status` with the upload's view (as GET /v1/uploads/:id) now and on every
   * change of status, stage or progress; the stream ends after a terminal status. Browsers'
   * EventSource sends no headers, so the upload token may come as `?token=ut_…`.
   */
  @ApiAuth.tenantOrQueryToken()
  @RespondsText(200, 'text/event-stream', 'Server-Sent Events: `event: status` with the Upload as `data`, now and on every change; ends after a terminal status.')
  @Fails({ 404: [ErrorCode.UPLOAD_NOT_FOUND] })
  @Get(':id/events')
  @TokenInQuery()
  async events(@CurrentPrincipal() principal: Principal, @Param('id', uploadId) id: string, @Res() res: Response): Promise<void> {
    // The same visibility as GET /v1/uploads/:id, checked before the stream starts so errors stay JSON.
    const upload = await this.uploads.findById(id);
    if (!upload || !canSee(principal, upload)) throw errors.uploadNotFound();
    // The feed calls back only after a load, so `stream` is assigned by then.
    const unsubscribe = this.feed.subscribe(id, (view) => {
      if (view) stream.send('status', view);
      if (!view || TERMINAL_STATUSES.has(view.status)) stream.end();
    });
    const stream = this.streams.start(res, unsubscribe);
  }
}
