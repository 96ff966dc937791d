import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig, ConfigError } from '../../config/config';
import { ApiMetrics } from './api-metrics';
import { MetricsController, MetricsGuard } from './metrics.controller';
import { API_METRICS, WORKER_METRICS } from './metrics.tokens';
import { WorkerMetrics } from './worker-metrics';

/** Tenants that get a series of their own in intake_uploads; the rest are "other". */
const TOP_TENANTS = 10;

/**
 * A process's metrics, injectable anywhere (global). With METRICS_ENABLED=false the token holds
 * null and no registry exists, so nothing is counted and GET /metrics is not routed.
 */
@Module({})
export class MetricsModule {
  static forApi(config: AppConfig): DynamicModule {
    if (!config.METRICS_ENABLED) return { module: MetricsModule, global: true, providers: [{ provide: API_METRICS, useValue: null }], exports: [API_METRICS] };
    // /metrics shares the API's public port: open, it would name the busiest tenants to anyone.
    if (config.NODE_ENV === 'production' && !config.METRICS_TOKEN) {
      throw new ConfigError('METRICS_TOKEN must be set in production (16+ characters), or METRICS_ENABLED=false');
    }
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [MetricsGuard, { provide: API_METRICS, inject: [DataSource], useFactory: (db: DataSource) => new ApiMetrics(db, TOP_TENANTS) }],
      exports: [API_METRICS],
    };
  }

  static forWorker(config: AppConfig): DynamicModule {
    const metrics = config.METRICS_ENABLED ? new WorkerMetrics(config.WORK_DIR) : null;
    return { module: MetricsModule, global: true, providers: [{ provide: WORKER_METRICS, useValue: metrics }], exports: [WORKER_METRICS] };
  }
}
