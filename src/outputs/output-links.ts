import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, CONFIG, outputUrlSecret } from '../config/config';
import { ObjectStorage } from '../storage/object-storage';
import { UrlSigner } from './signed-url';

/** Where the API serves what is not one stored object, relative to the API. */
export const hlsPaths = {
  master: (uploadId: string) => `/v1/uploads/${uploadId}/hls/master.m3u8`,
  variant: (uploadId: string, rung: string) => `/v1/uploads/${uploadId}/hls/${rung}.m3u8`,
};
export const storyboardVttPath = (uploadId: string) => `/v1/uploads/${uploadId}/storyboard.vtt`;

/**
 * Outputs the API serves (their links inside must be fresh): an HLS ladder's playlists, and the
 * storyboard's WebVTT.
 */
const SERVED_PATHS: Record<string, (uploadId: string) => string> = { hls: hlsPaths.master, storyboard_vtt: storyboardVttPath };

/**
 * The download link of each output, valid for DOWNLOAD_URL_TTL_SECONDS: a presigned GET of its
 * object, or a signed API link for outputs the API serves (see SERVED_PATHS). The API, the
 * status stream and the webhooks all present outputs through this one class.
 */
@Injectable()
export class OutputLinks {
  readonly signer: UrlSigner;

  constructor(
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {
    this.signer = new UrlSigner(outputUrlSecret(config));
  }

  get ttlSeconds(): number {
    return this.config.DOWNLOAD_URL_TTL_SECONDS;
  }

  urlFor(uploadId: string, output: { name: string; objectKey: string }): Promise<string> {
    const served = SERVED_PATHS[output.name];
    if (served) return Promise.resolve(this.signedApiUrl(served(uploadId)));
    return this.storage.presignGet(output.objectKey, this.ttlSeconds);
  }

  /** An absolute, signed link to an API path (PUBLIC_API_URL + path + signature). */
  signedApiUrl(path: string): string {
    return `${this.config.PUBLIC_API_URL.replace(/\/+$/, '')}${this.signer.sign(path, new Date(Date.now() + this.ttlSeconds * 1000))}`;
  }

  presignObject(key: string): Promise<string> {
    return this.storage.presignGet(key, this.ttlSeconds);
  }
}
