import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, CONFIG } from '../../config/config';
import { TracedService, Tracing, startTracing } from './tracer-provider';

export type { Tracing };

/** The process's Tracing, or null when tracing is off. */
export const TRACING = Symbol('TRACING');

/**
 * Starts tracing while the container is built (before the Temporal client or any request needs
 * it) and flushes the last spans when the application shuts down.
 */
@Global()
@Module({})
export class TracingModule implements OnApplicationShutdown {
  constructor(@Inject(TRACING) private readonly tracing: Tracing | null) {}

  static forRoot(service: TracedService): DynamicModule {
    return {
      module: TracingModule,
      providers: [{ provide: TRACING, inject: [CONFIG], useFactory: (config: AppConfig) => startTracing(config, service) }],
      exports: [TRACING],
    };
  }

  async onApplicationShutdown() {
    await this.tracing?.shutdown();
  }
}
