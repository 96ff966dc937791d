import { Body, Controller, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { IsDateString, IsIn, IsOptional, IsUUID } from 'class-validator';
import { AdminGuard } from '../auth/guards';
import { errors } from '../common/errors';
import type { UploadStatus } from '../database/entities/upload.entity';
import { UploadStore } from '../uploads/upload-store';
import { uploadId } from '../uploads/uploads.controller';
import { UploadReruns } from './upload-reruns';

export class BulkRerunDto {
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  /** `ready` (the default) reprocesses; `failed` retries. */
  @IsOptional()
  @IsIn(['ready', 'failed'])
  status?: 'ready' | 'failed';

  @IsOptional()
  @IsIn(['image', 'video', 'audio', 'document'])
  mediaKind?: 'image' | 'video' | 'audio' | 'document';

  /** ISO time; absent: now (uploads created while the backfill runs are left out). */
  @IsOptional()
  @IsDateString()
  createdBefore?: string;
}

export interface RerunStarted {
  id: string;
  status: UploadStatus;
}

/** The operator re-drives uploads that ended (docs/runbook.md). */
@Controller('v1/admin/uploads')
@UseGuards(AdminGuard)
export class AdminUploadsController {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(UploadReruns) private readonly reruns: UploadReruns,
  ) {}

  /** A failed upload, from the step that failed: 202, then processing -> ready (or rejected/failed). */
  @Post(':id/retry')
  @HttpCode(202)
  async retry(@Param('id', uploadId) id: string): Promise<RerunStarted> {
    await this.reruns.start(await this.find(id), 'retry');
    return { id, status: 'processing' };
  }

  /** A ready upload through today's pipeline; it stays ready, serving its outputs, until the new set swaps in. */
  @Post(':id/reprocess')
  @HttpCode(202)
  async reprocess(@Param('id', uploadId) id: string): Promise<RerunStarted> {
    await this.reruns.start(await this.find(id), 'reprocess');
    return { id, status: 'ready' };
  }

  /** Many uploads at once, on the backfill queue; `started` is how many matched. */
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
