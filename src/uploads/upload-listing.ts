import { ApiPropertyOptional } from '@nestjs/swagger';
import { Inject, Injectable } from '@nestjs/common';
import { IsIn, IsOptional } from 'class-validator';
import { decodeCursor, encodeCursor } from '../common/keyset-cursor';
import { LIST_DEFAULT_LIMIT, PageQuery } from '../common/page-query';
import { UPLOAD_STATUSES, UploadStatus } from '../database/entities/upload.entity';
import { OutputLinks } from '../outputs/output-links';
import { UploadStore } from './upload-store';
import { UploadView, presentUpload } from './upload-view';

export class ListUploadsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: UPLOAD_STATUSES })
  @IsOptional()
  @IsIn(UPLOAD_STATUSES)
  status?: UploadStatus;
}

export interface UploadPage {
  uploads: UploadView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * GET /v1/uploads: keyset pages on (created_at, id), newest first, so a page costs one index range
 * however deep it is and uploads created meanwhile never shift it. Each upload comes with its
 * outputs (one query for the page) and their download URLs: presigning is a local HMAC, no round
 * trip, so even a full page of 100 uploads signs its ~200 URLs in a few milliseconds.
 */
@Injectable()
export class UploadListing {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(OutputLinks) private readonly links: OutputLinks,
  ) {}

  async list(tenantId: string, query: ListUploadsQuery): Promise<UploadPage> {
    const limit = query.limit ?? LIST_DEFAULT_LIMIT;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    // One more than asked tells whether another page exists without a count.
    const rows = await this.uploads.listPage(tenantId, { status: query.status, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const outputs = await this.uploads.listOutputsOf(page.map((r) => r.upload.id));
    return {
      uploads: await Promise.all(page.map(({ upload }) => presentUpload(upload, outputs.get(upload.id) ?? [], this.links))),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.position) : null,
    };
  }
}
