import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { errors } from '../common/errors';
import { StoryboardLayout, storyboardCues, storyboardVtt } from '../media/storyboard';
import { UploadStore } from '../uploads/upload-store';
import { uploadId } from '../uploads/uploads.controller';
import { OutputLinks, storyboardVttPath } from './output-links';
import { readyUploadFor, sendServed } from './served-output';

/**
 * A video's storyboard WebVTT (`storyboard_vtt`): cues over the whole duration, each pointing at a
 * tile of the `storyboard` sheet by a fresh presigned link. Signed like the HLS playlists, since
 * players fetch it with no headers, from any origin.
 */
@Controller('v1/uploads/:id')
export class StoryboardController {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(OutputLinks) private readonly links: OutputLinks,
  ) {}

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
