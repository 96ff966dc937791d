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
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { ApiAuth, Fails, Responds } from '../openapi/decorators';

// A malformed id cannot name an upload: answer 404 like any unknown id.
export const uploadId = new ParseUUIDPipe({ exceptionFactory: () => errors.uploadNotFound() });

@ApiTags('Uploads')
@Controller('v1/uploads')
@UseGuards(TenantGuard)
export class UploadsController {
  constructor(
    @Inject(UploadsService) private readonly uploads: UploadsService,
    @Inject(UploadListing) private readonly listing: UploadListing,
    @Inject(UploadDeletion) private readonly deletion: UploadDeletion,
  ) {}

  /** The tenant's uploads, newest first; tokens only ever see their own, one by one. */
  @ApiAuth.apiKey()
  @Responds(200, 'UploadPage', 'Newest first; pass nextCursor as cursor for the next page.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED], 403: [ErrorCode.TOKEN_NOT_PERMITTED] })
  @Get()
  @ApiKeyOnly()
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListUploadsQuery): Promise<UploadPage> {
    return this.listing.list(principal.tenant.id, query);
  }

  @ApiAuth.tenant()
  @Responds(201, 'CreatedUpload', 'Send the bytes as `upload` says, then POST /v1/uploads/{id}/complete.')
  @Fails({
    400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_REQUEST, ErrorCode.UNSUPPORTED_TYPE, ErrorCode.TYPE_NOT_ALLOWED],
    401: [ErrorCode.UNAUTHORIZED, ErrorCode.UPLOAD_TOKEN_EXHAUSTED],
    403: [ErrorCode.QUOTA_EXCEEDED],
    413: [ErrorCode.FILE_TOO_LARGE],
  })
  @Post()
  @HttpCode(201)
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateUploadDto): Promise<CreatedUpload> {
    return this.uploads.create(principal, dto);
  }

  @ApiAuth.tenant()
  @Responds(202, 'CompletedUpload', 'Processing started; follow it with GET, the events stream or webhooks.')
  @Fails({
    400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INCOMPLETE_UPLOAD],
    404: [ErrorCode.UPLOAD_NOT_FOUND],
    409: [ErrorCode.OBJECT_NOT_UPLOADED, ErrorCode.UPLOAD_STATE_CONFLICT],
    410: [ErrorCode.UPLOAD_EXPIRED],
  })
  @ApiBody({ type: CompleteUploadDto, required: false, description: 'Multipart uploads may list their parts; without a list Intake lists them.' })
  @Post(':id/complete')
  @HttpCode(202)
  complete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uploadId) id: string,
    @Body() dto: CompleteUploadDto,
  ): Promise<CompletedUpload> {
    return this.uploads.complete(principal, id, dto.parts);
  }

  @ApiAuth.tenant()
  @Responds(200, 'Upload', 'The upload, with fresh download links for its outputs.')
  @Fails({ 404: [ErrorCode.UPLOAD_NOT_FOUND] })
  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', uploadId) id: string): Promise<UploadView> {
    return this.uploads.get(principal, id);
  }

  /** An API key, or the token that created the upload. The same answer every time. */
  @ApiAuth.tenant()
  @Responds(200, 'DeletedUpload', 'Deleted (idempotent): its objects are purged.')
  @Fails({ 404: [ErrorCode.UPLOAD_NOT_FOUND] })
  @Delete(':id')
  delete(@CurrentPrincipal() principal: Principal, @Param('id', uploadId) id: string): Promise<DeletedUpload> {
    return this.deletion.delete(principal, id);
  }
}
