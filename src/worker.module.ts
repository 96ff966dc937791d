import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { MediaModule } from './media/media.module';
import { MetricsModule } from './observability/metrics/metrics.module';
import { TracingModule } from './observability/tracing/tracing.module';
import { StorageModule } from './storage/storage.module';
import { TemporalModule } from './temporal/temporal.module';
import { UploadReruns } from './admin/upload-reruns';
import { OutputGenerations } from './uploads/output-generations';
import { TenantStore } from './tenants/tenant-store';
import { UploadStore } from './uploads/upload-store';
import { VideoPieceStore } from './uploads/video-piece-store';
import { webhookProviders } from './webhooks/webhook.providers';

/**
 * The worker's container: the same stores and storage as the API, plus the media tools, and a
 * Temporal client to start webhook deliveries.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        StorageModule,
        MediaModule,
        TracingModule.forRoot('intake-worker'),
        TemporalModule,
        MetricsModule.forWorker(config),
      ],
      providers: [UploadStore, TenantStore, VideoPieceStore, OutputGenerations, UploadReruns, ...webhookProviders],
      exports: [UploadStore, TenantStore, VideoPieceStore, OutputGenerations, UploadReruns, ...webhookProviders],
    };
  }
}
