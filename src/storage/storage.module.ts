import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, CONFIG } from '../config/config';
import { ObjectStorage } from './object-storage';

@Global()
@Module({
  providers: [{ provide: ObjectStorage, inject: [CONFIG], useFactory: (config: AppConfig) => new ObjectStorage(config) }],
  exports: [ObjectStorage],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(ObjectStorage) private readonly storage: ObjectStorage) {}

  onApplicationShutdown() {
    this.storage.destroy();
  }
}
