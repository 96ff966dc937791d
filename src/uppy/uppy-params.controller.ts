import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { TenantGuard } from '../auth/guards';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { errors } from '../common/errors';
import { ObjectStorage, PresignedPost } from '../storage/object-storage';
import { ClientMetadata, clientMetadataProblem } from '../uploads/client-metadata';
import { presignPostFor } from '../uploads/modes/post-policy';
import { contentTypeProblem, filenameProblem } from '../uploads/uploads.dto';
import { UploadsService } from '../uploads/uploads.service';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { Fails, Responds } from '../openapi/decorators';

/**
 * Uppy's AWS S3 plugin in Companion mode (`companionEndpoint: <api>/v1/uppy/<upload token>`) asks
 * here for a form upload of one file: `GET s3/params?filename&type&metadata[k]=v`. The token in the
 * path is the credential (the plugin sends no Authorization header). Uppy declares no size, so
 * the policy allows 1 byte up to the upload's limit and verify holds the actual bytes to it.
 */
@ApiTags('Uppy')
@ApiParam({ name: 'token', description: 'An upload token, `ut_…` (the credential: Uppy sends no Authorization header).' })
@Controller('v1/uppy/:token/s3')
@UseGuards(TenantGuard)
export class UppyParamsController {
  constructor(
    @Inject(UploadsService) private readonly uploads: UploadsService,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
  ) {}

  @ApiQuery({ name: 'filename', required: true })
  @ApiQuery({ name: 'type', required: true, description: 'The media type.' })
  @ApiQuery({ name: 'metadata', required: false, style: 'deepObject', explode: true, schema: { type: 'object', additionalProperties: { type: 'string' } } })
  @Responds(200, 'PresignedPost', 'A browser form upload: send `fields`, then the file as `file`.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_REQUEST, ErrorCode.UNSUPPORTED_TYPE, ErrorCode.TYPE_NOT_ALLOWED], 403: [ErrorCode.QUOTA_EXCEEDED] })
  @Get('params')
  async params(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>): Promise<PresignedPost> {
    const { filename, type, metadata, ...rest } = query;
    if (Object.keys(rest).length) throw errors.validation('only filename, type and metadata[...] are accepted');
    if (typeof filename !== 'string' || typeof type !== 'string') {
      throw errors.validation('filename and type must each be given once');
    }
    // The same rules as POST /v1/uploads (CreateUploadDto), answered the same way.
    const problem = filenameProblem(filename) ?? contentTypeProblem(type) ?? (metadata === undefined ? null : clientMetadataProblem(metadata));
    if (problem) throw errors.invalidRequest(problem);

    const upload = await this.uploads.open(principal, {
      filename,
      contentType: type,
      size: null,
      mode: 'post',
      via: 'uppy',
      metadata: metadata as ClientMetadata | undefined,
    });
    return presignPostFor(this.storage, upload);
  }
}
