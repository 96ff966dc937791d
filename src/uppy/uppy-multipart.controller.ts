import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { TenantGuard } from '../auth/guards';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { errors } from '../common/errors';
import type { Upload } from '../database/entities/upload.entity';
import { MULTIPART_LIMITS } from '../storage/multipart';
import { objectKeys } from '../storage/object-keys';
import { ClientMetadata, clientMetadataProblem } from '../uploads/client-metadata';
import { MultipartUploads } from '../uploads/modes/multipart';
import { uploadId } from '../uploads/uploads.controller';
import { contentTypeProblem, filenameProblem } from '../uploads/uploads.dto';
import { UploadsService } from '../uploads/uploads.service';
import { ApiParam, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { Fails, Responds } from '../openapi/decorators';

/** What @uppy/aws-s3's createMultipartUpload posts (S3Companion in its s3-client). */
export class UppyCreateMultipartDto {
  @ApiProperty()
  @IsString()
  filename!: string;

  @ApiProperty({ description: 'The media type.' })
  @IsString()
  type!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "Uppy's file meta: strings, numbers and booleans become client metadata." })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class UppyPartDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MULTIPART_LIMITS.maxParts })
  @IsInt()
  @Min(1)
  @Max(MULTIPART_LIMITS.maxParts)
  PartNumber!: number;

  @ApiProperty({ maxLength: 130 })
  @IsString()
  @MaxLength(130)
  ETag!: string;
}

export class UppyCompleteDto {
  @ApiProperty({ type: () => UppyPartDto, isArray: true, minItems: 1, maxItems: MULTIPART_LIMITS.maxParts })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MULTIPART_LIMITS.maxParts)
  @ValidateNested({ each: true })
  @Type(() => UppyPartDto)
  parts!: UppyPartDto[];
}

/**
 * Uppy's file meta as client metadata: the strings (numbers and booleans as text) of what it
 * sends; its `relativePath: null` and any nested values are left out.
 */
export function uppyMetadata(meta: Record<string, unknown> | undefined): ClientMetadata | undefined {
  if (!meta) return undefined;
  const kept = Object.entries(meta).flatMap(([k, v]) =>
    typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? [[k, String(v)] as const] : [],
  );
  if (!kept.length) return undefined;
  const metadata = Object.fromEntries(kept);
  const problem = clientMetadataProblem(metadata);
  if (problem) throw errors.invalidRequest(problem);
  return metadata;
}

/**
 * The multipart routes @uppy/aws-s3 (v5/v6) calls with `companionEndpoint: <API>/v1/uppy/<token>`.
 * Each Uppy upload is an ordinary Intake upload (mode multipart, no declared size): Uppy's
 * `uploadId` is the Intake upload id and its `key` the upload's incoming key. Both come back on
 * every call; the key must be that upload's own, so no call can address any other object.
 */
@ApiTags('Uppy')
@ApiParam({ name: 'token', description: 'An upload token, `ut_…` (the credential: Uppy sends no Authorization header).' })
@Controller('v1/uppy/:token/s3/multipart')
@UseGuards(TenantGuard)
export class UppyMultipartController {
  constructor(
    @Inject(UploadsService) private readonly uploads: UploadsService,
    @Inject(MultipartUploads) private readonly multipart: MultipartUploads,
  ) {}

  @Responds(200, 'UppyMultipartCreated', 'Uppy `uploadId` is the Intake upload id.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_REQUEST, ErrorCode.UNSUPPORTED_TYPE, ErrorCode.TYPE_NOT_ALLOWED], 403: [ErrorCode.QUOTA_EXCEEDED] })
  @Post()
  @HttpCode(200)
  async create(@CurrentPrincipal() principal: Principal, @Body() dto: UppyCreateMultipartDto): Promise<{ uploadId: string; key: string }> {
    const problem = filenameProblem(dto.filename) ?? contentTypeProblem(dto.type);
    if (problem) throw errors.invalidRequest(problem);
    const upload = await this.uploads.open(principal, {
      filename: dto.filename,
      contentType: dto.type,
      size: null,
      mode: 'multipart',
      via: 'uppy',
      metadata: uppyMetadata(dto.metadata),
    });
    await this.multipart.begin(upload);
    return { uploadId: upload.id, key: objectKeys.incoming(upload.tenantId, upload.id) };
  }

  @ApiQuery({ name: 'key', required: true, description: 'The `key` the create call answered.' })
  @Responds(200, 'UppyPartUrl', 'A presigned PUT for the part.')
  @Fails({ 400: [ErrorCode.INVALID_REQUEST], 404: [ErrorCode.UPLOAD_NOT_FOUND], 409: [ErrorCode.UPLOAD_STATE_CONFLICT] })
  @Get(':uploadId/:partNumber')
  async signPart(
    @CurrentPrincipal() principal: Principal,
    @Param('uploadId', uploadId) id: string,
    @Param('partNumber') partNumber: string,
    @Query('key') key: unknown,
  ): Promise<{ url: string }> {
    const upload = await this.uppyUpload(principal, id, key);
    if (!/^[1-9][0-9]{0,4}$/.test(partNumber)) throw errors.invalidRequest(`part numbers must be whole numbers from 1 to ${MULTIPART_LIMITS.maxParts}`);
    const [part] = await this.multipart.signParts(upload, [Number(partNumber)]);
    return { url: part!.url };
  }

  @ApiQuery({ name: 'key', required: true, description: 'The `key` the create call answered.' })
  @Responds(200, 'UppyParts', 'The parts storage holds.')
  @Fails({ 404: [ErrorCode.UPLOAD_NOT_FOUND], 409: [ErrorCode.UPLOAD_STATE_CONFLICT] })
  @Get(':uploadId')
  async listParts(
    @CurrentPrincipal() principal: Principal,
    @Param('uploadId', uploadId) id: string,
    @Query('key') key: unknown,
  ): Promise<Array<{ PartNumber: number; Size: number; ETag: string }>> {
    const parts = await this.multipart.listParts(await this.uppyUpload(principal, id, key));
    return parts.map((p) => ({ PartNumber: p.partNumber, Size: p.size, ETag: p.etag }));
  }

  @ApiQuery({ name: 'key', required: true, description: 'The `key` the create call answered.' })
  @Responds(200, 'UppyCompleted', 'Processing started; `location` is the upload.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INCOMPLETE_UPLOAD], 404: [ErrorCode.UPLOAD_NOT_FOUND], 409: [ErrorCode.UPLOAD_STATE_CONFLICT] })
  @Post(':uploadId/complete')
  @HttpCode(200)
  async complete(
    @CurrentPrincipal() principal: Principal,
    @Param('uploadId', uploadId) id: string,
    @Query('key') key: unknown,
    @Body() dto: UppyCompleteDto,
  ): Promise<{ location: string; key: string }> {
    const upload = await this.uppyUpload(principal, id, key);
    await this.uploads.complete(
      principal,
      upload.id,
      dto.parts.map((p) => ({ partNumber: p.PartNumber, etag: p.ETag })),
    );
    // Where the tenant's backend (or this token) follows the upload; Uppy keeps it as uploadURL.
    return { location: `/v1/uploads/${upload.id}`, key: key as string };
  }

  @ApiQuery({ name: 'key', required: true, description: 'The `key` the create call answered.' })
  @Responds(200, 'Empty', 'Abandoned.')
  @Fails({ 404: [ErrorCode.UPLOAD_NOT_FOUND], 409: [ErrorCode.UPLOAD_STATE_CONFLICT] })
  @Delete(':uploadId')
  async abort(
    @CurrentPrincipal() principal: Principal,
    @Param('uploadId', uploadId) id: string,
    @Query('key') key: unknown,
  ): Promise<Record<string, never>> {
    const upload = await this.uppyUpload(principal, id, key);
    if (upload.mode !== 'multipart') throw errors.uploadStateConflict('This upload does not take parts: it is not a multipart upload');
    if (upload.status !== 'awaiting_upload') throw errors.uploadStateConflict('This upload was completed; it can no longer be aborted');
    await this.multipart.abandon(upload);
    return {};
  }

  /** The upload behind Uppy's uploadId, if this principal may see it and `key` is its own incoming key. */
  private async uppyUpload(principal: Principal, id: string, key: unknown): Promise<Upload> {
    const upload = await this.uploads.findVisible(principal, id);
    if (key !== objectKeys.incoming(upload.tenantId, upload.id)) throw errors.uploadNotFound();
    return upload;
  }
}
