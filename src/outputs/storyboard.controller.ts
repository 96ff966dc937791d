import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { errors } from '../common/errors';
import { StoryboardLayout, storyboardCues, storyboardVtt } from '../media/storyboard';
import { UploadStore } from '../uploads/upload-store';
import { uploadId } from '../uploads/uploads.controller';
import { OutputLinks, storyboardVttPath } from './output-links';
import { readyUploadFor, sendServed } from './served-output';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { Fails, RespondsText } from '../openapi/decorators';

/**
 * A video's storyboard WebVTT (`storyboard_vtt`): cues over the whole duration, each pointing at a
 * tile of the `storyboard` sheet by a fresh presigned link. Signed like the HLS playlists, since
 * players fetch it with no headers, from any origin.
 */
@ApiTags('Outputs')
@Controller('v1/uploads/:id')
export class StoryboardController {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(OutputLinks) private readonly links: OutputLinks,
  ) {}

  @ApiQuery({ name: 'expires', required: true, description: 'Unix seconds; part of the signed link.' })
  @ApiQuery({ name: 'signature', required: true, description: 'Part of the signed link.' })
  @RespondsText(200, 'text/vtt', 'WebVTT cues pointing at tiles of the storyboard sheet.')
  @Fails({ 403: [ErrorCode.INVALID_LINK], 404: [ErrorCode.UPLOAD_NOT_FOUND, ErrorCode.NOT_FOUND] })
  @Get('storyboard.vtt')
  async vtt(
    @Param('id', uploadId) id: string,
    @Query('expires') expires: unknown,
    @Query('signature') signature: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const upload = await readyUploadFor(this.uploads, this.links, { id, path: storyboardVttPath(id), expires, signature });
    const sheet = (await this.uploads.listOutputs(id)).find((o) => o.name === 'storyboard');
    const layout = upload.metadata?.storyboard as StoryboardLayout | undefined;
    const duration = Number(upload.metadata?.durationSeconds);
    if (!sheet || !layout || !(duration > 0)) throw errors.notFound('Storyboard');
    const body = storyboardVtt(storyboardCues(duration, layout), await this.links.presignObject(sheet.objectKey));
    sendServed(res, 'text/vtt; charset=utf-8', body);
  }
}
