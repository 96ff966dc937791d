import { Inject, Injectable } from '@nestjs/common';
import { OutputLinks } from '../outputs/output-links';
import { UploadStore } from '../uploads/upload-store';
import { UploadView, presentUpload } from '../uploads/upload-view';

/** An upload's public view by id, with no caller to check: the live-status feed checks callers when they subscribe. */
@Injectable()
export class UploadViews {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(OutputLinks) private readonly links: OutputLinks,
  ) {}

  async load(id: string): Promise<UploadView | null> {
    const upload = await this.uploads.findById(id);
    if (!upload) return null;
    return presentUpload(upload, await this.uploads.listOutputs(id), this.links);
  }
}
