import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiKeyStore } from '../auth/api-key-store';
import { Authenticator } from '../auth/authenticator';
import { TenantGuard } from '../auth/guards';
import { UploadTokenStore } from '../auth/upload-token-store';
import { LOGGER } from '../common/logger';
import { AppConfig, CONFIG } from '../config/config';
import { UploadStore } from '../uploads/upload-store';
import { EventStreams } from './event-streams';
import { UploadChangeFeed } from './upload-change-feed';
import { UploadEventsController } from './upload-events.controller';
import { UploadViews } from './upload-views';

/** Live upload status over Server-Sent Events, fed by one PostgreSQL LISTEN connection per API process. */
@Module({})
export class LiveStatusModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(UploadChangeFeed) private readonly feed: UploadChangeFeed) {}

  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LiveStatusModule,
      controllers: [UploadEventsController],
      providers: [
        { provide: LOGGER, useValue: logger },
        // What TenantGuard needs here; the stores hold no state, so these copies answer as AppModule's do.
        ApiKeyStore,
        UploadTokenStore,
        Authenticator,
        TenantGuard,
        UploadStore,
        UploadViews,
        EventStreams,
        {
          provide: UploadChangeFeed,
          inject: [CONFIG, UploadViews],
          useFactory: (config: AppConfig, views: UploadViews) =>
            new UploadChangeFeed({ databaseUrl: config.DATABASE_URL, load: (id) => views.load(id), logger }),
        },
      ],
    };
  }

  onApplicationBootstrap(): void {
    this.feed.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.feed.close();
  }
}
