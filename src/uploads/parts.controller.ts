import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { TenantGuard } from '../auth/guards';
import { CurrentPrincipal, Principal } from '../auth/principal';
import type { PartUrl } from '../storage/multipart';
import { MultipartUploads } from './modes/multipart';
import { SignPartsDto } from './modes/multipart.dto';
import { uploadId } from './uploads.controller';
import { UploadsService } from './uploads.service';
import { ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { ApiAuth, Fails, Responds } from '../openapi/decorators';

/** Part URLs and the parts storage holds, for uploads created with `"mode": "multipart"`. */
@ApiTags('Uploads')
@Controller('v1/uploads/:id/parts')
@UseGuards(TenantGuard)
export class PartsController {
  constructor(
    @Inject(UploadsService) private readonly uploads: UploadsService,
    @Inject(MultipartUploads) private readonly multipart: MultipartUploads,
  ) {}

  @ApiAuth.tenant()
  @Responds(200, 'PartUrls', 'Presigned PUT URLs; each PUT must carry exactly the headers given.')
  @Fails({
    400: [ErrorCode.VALIDATION_FAILED],
    404: [ErrorCode.UPLOAD_NOT_FOUND],
    409: [ErrorCode.UPLOAD_STATE_CONFLICT],
    410: [ErrorCode.UPLOAD_EXPIRED],
  })
  @Post()
  @HttpCode(200)
  async sign(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uploadId) id: string,
    @Body() dto: SignPartsDto,
  ): Promise<{ parts: PartUrl[] }> {
    const upload = await this.uploads.findVisible(principal, id);
    return { parts: await this.multipart.signParts(upload, dto.partNumbers) };
  }

  @ApiAuth.tenant()
  @Responds(200, 'StoredParts', 'The parts storage holds: resume by sending the others.')
  @Fails({ 404: [ErrorCode.UPLOAD_NOT_FOUND], 409: [ErrorCode.UPLOAD_STATE_CONFLICT] })
  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uploadId) id: string,
  ): Promise<{ parts: Array<{ partNumber: number; etag: string; size: number }> }> {
    const upload = await this.uploads.findVisible(principal, id);
    return { parts: await this.multipart.listParts(upload) };
  }
}
