import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { TenantGuard } from '../auth/guards';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { errors } from '../common/errors';
import { CompleteUploadDto } from './modes/multipart.dto';
import { UploadView } from './upload-view';
import { CompletedUpload, CreateUploadDto, CreatedUpload } from './uploads.dto';
import { UploadsService } from './uploads.service';

// A malformed id cannot name an upload: answer 404 like any unknown id.
export const uploadId = new ParseUUIDPipe({ exceptionFactory: () => errors.uploadNotFound() });

@Controller('v1/uploads')
@UseGuards(TenantGuard)
export class UploadsController {
  constructor(@Inject(UploadsService) private readonly uploads: UploadsService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateUploadDto): Promise<CreatedUpload> {
    return this.uploads.create(principal, dto);
  }

  @Post(':id/complete')
  @HttpCode(202)
  complete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uploadId) id: string,
    @Body() dto: CompleteUploadDto,
  ): Promise<CompletedUpload> {
    return this.uploads.complete(principal, id, dto.parts);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', uploadId) id: string): Promise<UploadView> {
    return this.uploads.get(principal, id);
  }
}
