import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { errors } from '../common/errors';
import { masterPlaylist, mediaPlaylist, variantBandwidth } from '../media/hls-playlist';
import { UploadStore } from '../uploads/upload-store';
import { uploadId } from '../uploads/uploads.controller';
import { VideoPiece, VideoPieceStore } from '../uploads/video-piece-store';
import { OutputLinks, hlsPaths } from './output-links';
import { readyUploadFor, sendServed } from './served-output';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { Fails, RespondsText } from '../openapi/decorators';

const PLAYLIST = /^([a-z0-9]{1,16})\.m3u8$/;

/**
 * An upload's HLS ladder, as a standard player fetches it: no Authorization header, so every link
 * is signed (see OutputLinks). The master lists one variant per rung (signed API links); a
 * variant lists its pieces (presigned storage links). Generated from the recorded pieces, so the
 * links inside are always fresh. Any origin may read them: the signature is the credential.
 */
@ApiTags('Outputs')
@Controller('v1/uploads/:id/hls')
export class HlsController {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(VideoPieceStore) private readonly pieces: VideoPieceStore,
    @Inject(OutputLinks) private readonly links: OutputLinks,
  ) {}

  @ApiParam({ name: 'playlist', description: '`master.m3u8` or a rung, e.g. `720p.m3u8`.' })
  @ApiQuery({ name: 'expires', required: true, description: 'Unix seconds; part of the signed link.' })
  @ApiQuery({ name: 'signature', required: true, description: 'Part of the signed link.' })
  @RespondsText(200, 'application/vnd.apple.mpegurl', 'The playlist; its links are signed too.')
  @Fails({ 403: [ErrorCode.INVALID_LINK], 404: [ErrorCode.UPLOAD_NOT_FOUND, ErrorCode.NOT_FOUND] })
  @Get(':playlist')
  async playlist(
    @Param('id', uploadId) id: string,
    @Param('playlist') playlist: string,
    @Query('expires') expires: unknown,
    @Query('signature') signature: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const name = PLAYLIST.exec(playlist)?.[1];
    if (!name) throw errors.notFound();
    const path = name === 'master' ? hlsPaths.master(id) : hlsPaths.variant(id, name);
    await readyUploadFor(this.uploads, this.links, { id, path, expires, signature });
    const pieces = await this.pieces.list(id);
    const body = name === 'master' ? this.master(id, pieces) : await this.variant(pieces.filter((p) => p.rung === name));
    if (!body) throw errors.notFound('Playlist');
    sendServed(res, 'application/vnd.apple.mpegurl', body);
  }

  private master(id: string, pieces: VideoPiece[]): string | null {
    const rungs = [...new Set(pieces.map((p) => p.rung))];
    if (!rungs.length) return null;
    const variants = rungs.map((rung) => {
      const own = pieces.filter((p) => p.rung === rung);
      return { rung, width: own[0]!.width, height: own[0]!.height, codecs: own[0]!.codecs, ...variantBandwidth(own) };
    });
    return masterPlaylist(variants, (v) => this.links.signedApiUrl(hlsPaths.variant(id, v.rung)));
  }

  private async variant(pieces: VideoPiece[]): Promise<string | null> {
    if (!pieces.length) return null;
    const urls = await Promise.all(pieces.map((p) => this.links.presignObject(p.objectKey)));
    return mediaPlaylist(pieces, (_p, i) => urls[i]!);
  }
}
