import { DataSource } from 'typeorm';
import { ApiKey } from './entities/api-key.entity';
import { Tenant } from './entities/tenant.entity';
import { UploadToken } from './entities/upload-token.entity';
import { UploadOutput } from './entities/upload-output.entity';
import { Upload } from './entities/upload.entity';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { TrustedOriginal1764100000000 } from './migrations/1764100000000-trusted-original';
import { FrontDoor1764200000000 } from './migrations/1764200000000-front-door';
import { DeletedUploads1764240000000 } from './migrations/1764240000000-deleted-uploads';
import { WebhookEndpoints1764300000000 } from './migrations/1764300000000-webhook-endpoints';
import { UploadChangeNotifications1764310000000 } from './migrations/1764310000000-upload-change-notifications';
import { VideoPieces1764320000000 } from './migrations/1764320000000-video-pieces';
import { UploadCompletedAt1764400000000 } from './migrations/1764400000000-upload-completed-at';
import { OutputGenerations1764500000000 } from './migrations/1764500000000-output-generations';

export const ENTITIES = [Tenant, ApiKey, UploadToken, Upload, UploadOutput, WebhookEndpoint];
export const MIGRATIONS = [
  InitialSchema1764000000000,
  TrustedOriginal1764100000000,
  FrontDoor1764200000000,
  DeletedUploads1764240000000,
  WebhookEndpoints1764300000000,
  UploadChangeNotifications1764310000000,
  VideoPieces1764320000000,
  UploadCompletedAt1764400000000,
  OutputGenerations1764500000000,
];

/** Schema changes go through migrations only; `synchronize` stays off everywhere. */
export function createDataSource(databaseUrl: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    // A database that hangs instead of refusing must still turn into a 503 (or a retried activity)
    // rather than a request that never ends.
    extra: { max: poolSize, connectionTimeoutMillis: 10_000 },
  });
}
