import { Global, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, CONFIG } from '../config/config';
import { OutputLinks } from '../outputs/output-links';
import { ObjectStorage } from './object-storage';

@Global()
@Module({
  providers: [{ provide: ObjectStorage, inject: [CONFIG], useFactory: (config: AppConfig) => new ObjectStorage(config) }, OutputLinks],
  exports: [ObjectStorage, OutputLinks],
})
export class StorageModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(ObjectStorage) private readonly storage: ObjectStorage) {}

  onApplicationBootstrap() {
    if (!this.storage.uploadsSignedWithRestrictedCredentials) {
      new Logger('ObjectStorage').warn(
        'S3_PRESIGN_ACCESS_KEY_ID is not set: upload URLs are signed with the main S3 credentials, so a storage ' +
          'that acts on unsigned headers (MinIO and x-amz-copy-source) lets a client copy objects it cannot name. ' +
          'Configure a user that may only write under incoming/.',
      );
    }
  }

  onApplicationShutdown() {
    this.storage.destroy();
  }
}
