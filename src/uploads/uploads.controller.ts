import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { CurrentTenant, TenantGuard } from '../common/auth';
import { errors } from '../common/errors';
import type { Tenant } from '../database/entities/tenant.entity';
import { UploadView } from './upload-view';
import { CompletedUpload, CreateUploadDto, CreatedUpload } from './uploads.dto';
import { UploadsService } from './uploads.service';

// A malformed id cannot name an upload: answer 404 like any unknown id.
const uploadId = new ParseUUIDPipe({ exceptionFactory: () => errors.uploadNotFound() });

@Controller('v1/uploads')
@UseGuards(TenantGuard)
export class UploadsController {
  constructor(@Inject(UploadsService) private readonly uploads: UploadsService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentTenant() tenant: Tenant, @Body() dto: CreateUploadDto): Promise<CreatedUpload> {
    return this.uploads.create(tenant, dto);
  }

  @Post(':id/complete')
  @HttpCode(202)
  complete(@CurrentTenant() tenant: Tenant, @Param('id', uploadId) id: string): Promise<CompletedUpload> {
    return this.uploads.complete(tenant, id);
  }

  @Get(':id')
  get(@CurrentTenant() tenant: Tenant, @Param('id', uploadId) id: string): Promise<UploadView> {
    return this.uploads.get(tenant, id);
  }
}
