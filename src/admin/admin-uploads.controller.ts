import { Body, Controller, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { IsDateString, IsIn, IsOptional, IsUUID } from 'class-validator';
import { AdminGuard } from '../auth/guards';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ErrorCode, errors } from '../common/errors';
import { ApiAuth, Fails, Responds } from '../openapi/decorators';
import type { UploadStatus } from '../database/entities/upload.entity';
import { UploadStore } from '../uploads/upload-store';
import { uploadId } from '../uploads/uploads.controller';
import { UploadReruns } from './upload-reruns';

export class BulkRerunDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this tenant.' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  /** `ready` (the default) reprocesses; `failed` retries. */
  @ApiPropertyOptional({ enum: ['ready', 'failed'], default: 'ready', description: '`ready` reprocesses, `failed` retries.' })
  @IsOptional()
  @IsIn(['ready', 'failed'])
  status?: 'ready' | 'failed';

  @ApiPropertyOptional({ enum: ['image', 'video', 'audio', 'document'] })
  @IsOptional()
  @IsIn(['image', 'video', 'audio', 'document'])
  mediaKind?: 'image' | 'video' | 'audio' | 'document';

  /** ISO time; absent: now (uploads created while the backfill runs are left out). */
  @ApiPropertyOptional({ format: 'date-time', description: 'Absent: now (uploads created while the backfill runs are left out).' })
  @IsOptional()
  @IsDateString()
  createdBefore?: string;
}

export interface RerunStarted {
  id: string;
  status: UploadStatus;
}

/** The operator re-drives uploads that ended (docs/runbook.md). */
@ApiTags('Admin')
@Controller('v1/admin/uploads')
@UseGuards(AdminGuard)
export class AdminUploadsController {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(UploadReruns) private readonly reruns: UploadReruns,
  ) {}

  /** A failed upload, from the step that failed: 202, then processing -> ready (or rejected/failed). */
  @ApiAuth.admin()
  @Responds(202, 'RerunStarted', 'Retrying: the upload is processing again, from the step that failed.')
  @Fails({ 403: [ErrorCode.ADMIN_DISABLED], 404: [ErrorCode.UPLOAD_NOT_FOUND], 409: [ErrorCode.NOT_RETRYABLE] })
  @Post(':id/retry')
  @HttpCode(202)
  async retry(@Param('id', uploadId) id: string): Promise<RerunStarted> {
    await this.reruns.start(await this.find(id), 'retry');
    return { id, status: 'processing' };
  }

  /** A ready upload through today's pipeline; it stays ready, serving its outputs, until the new set swaps in. */
  @ApiAuth.admin()
  @Responds(202, 'RerunStarted', 'Reprocessing: the upload stays ready, serving its outputs, until the new set swaps in.')
  @Fails({ 403: [ErrorCode.ADMIN_DISABLED], 404: [ErrorCode.UPLOAD_NOT_FOUND], 409: [ErrorCode.NOT_REPROCESSABLE] })
  @Post(':id/reprocess')
  @HttpCode(202)
  async reprocess(@Param('id', uploadId) id: string): Promise<RerunStarted> {
    await this.reruns.start(await this.find(id), 'reprocess');
    return { id, status: 'ready' };
  }

  /** Many uploads at once, on the backfill queue; `started` is how many matched. */
  @ApiAuth.admin()
  @Responds(202, 'BatchStarted', 'The backfill started; `started` uploads matched.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED], 403: [ErrorCode.ADMIN_DISABLED] })
  @Post('reprocess')
  @HttpCode(202)
  bulk(@Body() dto: BulkRerunDto): Promise<{ started: number; batchId: string }> {
    return this.reruns.startBatch({
      status: dto.status ?? 'ready',
      createdBefore: dto.createdBefore ? new Date(dto.createdBefore).toISOString() : new Date().toISOString(),
      ...(dto.tenantId ? { tenantId: dto.tenantId } : {}),
      ...(dto.mediaKind ? { mediaKind: dto.mediaKind } : {}),
    });
  }

  private async find(id: string) {
    const upload = await this.uploads.findById(id);
    if (!upload) throw errors.uploadNotFound();
    return upload;
  }
}
