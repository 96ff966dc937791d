import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AdminUploadsController } from './admin/admin-uploads.controller';
import { UploadReruns } from './admin/upload-reruns';
import { ApiKeyStore } from './auth/api-key-store';
import { ApiKeysController } from './auth/api-keys.controller';
import { Authenticator } from './auth/authenticator';
import { TenantGuard } from './auth/guards';
import { UploadTokenStore } from './auth/upload-token-store';
import { UploadTokensController } from './auth/upload-tokens.controller';
import { LOGGER } from './common/logger';
import { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { demoControllers } from './demo/demo-routes';
import { HealthController } from './health/health.controller';
import { LiveStatusModule } from './live-status/live-status.module';
import { TracingModule } from './observability/tracing/tracing.module';
import { MetricsModule } from './observability/metrics/metrics.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { StorageModule } from './storage/storage.module';
import { TemporalModule } from './temporal/temporal.module';
import { TenantStore } from './tenants/tenant-store';
import { TenantController, TenantsController } from './tenants/tenants.controller';
import { tusProviders } from './tus/tus.providers';
import { UploadStore } from './uploads/upload-store';
import { MultipartUploads } from './uploads/modes/multipart';
import { PartsController } from './uploads/parts.controller';
import { UppyMultipartController } from './uppy/uppy-multipart.controller';
import { UploadsController } from './uploads/uploads.controller';
import { UploadsService } from './uploads/uploads.service';
import { UppyParamsController } from './uppy/uppy-params.controller';
import { StorageEventsController } from './storage-events/storage-events.controller';
import { StorageEventsGuard } from './storage-events/storage-events.guard';
import { StorageEventsService } from './storage-events/storage-events.service';
import { UploadDeletion } from './uploads/upload-deletion';
import { UploadListing } from './uploads/upload-listing';
import { WebhookDeliveriesController } from './webhooks/deliveries.controller';
import { WebhookEndpointsController } from './webhooks/endpoints.controller';
import { webhookProviders } from './webhooks/webhook.providers';
import { HlsController } from './outputs/hls.controller';
import { StoryboardController } from './outputs/storyboard.controller';
import { VideoPieceStore } from './uploads/video-piece-store';

/** The HTTP API process. Shares stores and storage with the worker (WorkerModule). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        StorageModule,
        TracingModule.forRoot('intake-api'),
        TemporalModule,
        RateLimitModule.forRoot(logger),
        LiveStatusModule.forRoot(logger),
        MetricsModule.forApi(config),
      ],
      controllers: [
        HealthController,
        TenantsController,
        TenantController,
        ApiKeysController,
        UploadTokensController,
        UploadsController,
        PartsController,
        UppyMultipartController,
        UppyParamsController,
        StorageEventsController,
        WebhookEndpointsController,
        WebhookDeliveriesController,
        HlsController,
        StoryboardController,
        AdminUploadsController,
        ...demoControllers(config),
      ],
      providers: [
        { provide: LOGGER, useValue: logger },
        TenantStore,
        ApiKeyStore,
        UploadTokenStore,
        Authenticator,
        TenantGuard,
        UploadStore,
        UploadsService,
        MultipartUploads,
        ...tusProviders,
        StorageEventsGuard,
        StorageEventsService,
        UploadDeletion,
        UploadListing,
        ...webhookProviders,
        VideoPieceStore,
        UploadReruns,
      ],
    };
  }
}
