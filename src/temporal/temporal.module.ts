import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { AppConfig, CONFIG } from '../config/config';
import { tracingClientInterceptors } from '../observability/tracing/temporal-tracing';
import { TRACING } from '../observability/tracing/tracing.module';
import type { Tracing } from '../observability/tracing/tracer-provider';

/**
 * The Temporal client: the API's, and the worker's (it starts webhook deliveries), traced when
 * tracing is on. Connecting is lazy so the API starts (and /health reports the problem) while
 * Temporal is still coming up.
 */
@Global()
@Module({
  providers: [
    {
      provide: Client,
      inject: [CONFIG, TRACING],
      useFactory: (config: AppConfig, tracing: Tracing | null) =>
        new Client({
          connection: Connection.lazy({ address: config.TEMPORAL_ADDRESS }),
          namespace: config.TEMPORAL_NAMESPACE,
          interceptors: tracingClientInterceptors(tracing),
        }),
    },
  ],
  exports: [Client],
})
export class TemporalModule implements OnApplicationShutdown {
  constructor(@Inject(Client) private readonly client: Client) {}

  async onApplicationShutdown() {
    await this.client.connection.close();
  }
}
