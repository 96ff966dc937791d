import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { TenantGuard } from '../auth/guards';
import { CurrentPrincipal, Principal } from '../auth/principal';
import type { PartUrl } from '../storage/multipart';
import { MultipartUploads } from './modes/multipart';
import { SignPartsDto } from './modes/multipart.dto';
import { uploadId } from './uploads.controller';
import { UploadsService } from './uploads.service';

/** Part URLs and the parts storage holds, for uploads created with `"mode": "multipart"`. */
@Controller('v1/uploads/:id/parts')
@UseGuards(TenantGuard)
export class PartsController {
  constructor(
    @Inject(UploadsService) private readonly uploads: UploadsService,
    @Inject(MultipartUploads) private readonly multipart: MultipartUploads,
  ) {}

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

  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uploadId) id: string,
  ): Promise<{ parts: Array<{ partNumber: number; etag: string; size: number }> }> {
    const upload = await this.uploads.findVisible(principal, id);
    return { parts: await this.multipart.listParts(upload) };
  }
}
