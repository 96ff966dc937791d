import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { AppConfig, CONFIG } from '../config/config';

/**
 * The API's Temporal client. Connecting is lazy so the API starts (and /health reports the
 * problem) while Temporal is still coming up.
 */
@Global()
@Module({
  providers: [
    {
      provide: Client,
      inject: [CONFIG],
      useFactory: (config: AppConfig) =>
        new Client({
          connection: Connection.lazy({ address: config.TEMPORAL_ADDRESS }),
          namespace: config.TEMPORAL_NAMESPACE,
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
