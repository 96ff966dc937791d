import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, CONFIG } from '../config/config';
import { ObjectStorage } from '../storage/object-storage';
import { UploadStore } from '../uploads/upload-store';
import { UploadView, presentUpload } from '../uploads/upload-view';

/** An upload's public view by id, with no caller to check: the live-status feed checks callers when they subscribe. */
@Injectable()
export class UploadViews {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async load(id: string): Promise<UploadView | null> {
    const upload = await this.uploads.findById(id);
    if (!upload) return null;
    return presentUpload(upload, await this.uploads.listOutputs(id), this.storage, this.config.DOWNLOAD_URL_TTL_SECONDS);
  }
}
