import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, CONFIG, outputUrlSecret } from '../config/config';
import { ObjectStorage } from '../storage/object-storage';
import { UrlSigner } from './signed-url';

/** Outputs that are not one object: the API serves them (an HLS ladder's playlists). */
export const SERVED_OUTPUTS: ReadonlySet<string> = new Set(['hls']);

/** Where an HLS ladder's playlists are served, relative to the API. */
export const hlsPaths = {
  master: (uploadId: string) => `/v1/uploads/${uploadId}/hls/master.m3u8`,
  variant: (uploadId: string, rung: string) => `/v1/uploads/${uploadId}/hls/${rung}.m3u8`,
};

/**
 * The download link of each output, valid for DOWNLOAD_URL_TTL_SECONDS: a presigned GET of its
 * object, or a signed API link for outputs the API serves (see SERVED_OUTPUTS). The API, the
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
    if (output.name === 'hls') return Promise.resolve(this.signedApiUrl(hlsPaths.master(uploadId)));
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
