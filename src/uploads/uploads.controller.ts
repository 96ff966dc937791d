import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { ApiKeyOnly, TenantGuard } from '../auth/guards';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { errors } from '../common/errors';
import { CompleteUploadDto } from './modes/multipart.dto';
import { DeletedUpload, UploadDeletion } from './upload-deletion';
import { ListUploadsQuery, UploadListing, UploadPage } from './upload-listing';
import { UploadView } from './upload-view';
import { CompletedUpload, CreateUploadDto, CreatedUpload } from './uploads.dto';
import { UploadsService } from './uploads.service';

// A malformed id cannot name an upload: answer 404 like any unknown id.
export const uploadId = new ParseUUIDPipe({ exceptionFactory: () => errors.uploadNotFound() });

@Controller('v1/uploads')
@UseGuards(TenantGuard)
export class UploadsController {
  constructor(
    @Inject(UploadsService) private readonly uploads: UploadsService,
    @Inject(UploadListing) private readonly listing: UploadListing,
    @Inject(UploadDeletion) private readonly deletion: UploadDeletion,
  ) {}

  /** The tenant's uploads, newest first; tokens only ever see their own, one by one. */
  @Get()
  @ApiKeyOnly()
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListUploadsQuery): Promise<UploadPage> {
    return this.listing.list(principal.tenant.id, query);
  }

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

  /** An API key, or the token that created the upload. The same answer every time. */
  @Delete(':id')
  delete(@CurrentPrincipal() principal: Principal, @Param('id', uploadId) id: string): Promise<DeletedUpload> {
    return this.deletion.delete(principal, id);
  }
}
