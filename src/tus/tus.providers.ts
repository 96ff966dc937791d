import type { Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger';
import { AppConfig, CONFIG } from '../config/config';
import { connectRedis } from '../rate-limit/redis';
import { IntakeS3Store } from './intake-s3-store';
import { RedisLocker } from './redis-locker';
import { TusArrival } from './tus-arrival';
import { TusEndpoint } from './tus-endpoint';
import { TusReconciler } from './tus-reconciler';
import { TusInfoCache } from './tus-redis';

const TUS_REDIS = Symbol('TUS_REDIS');
/** Cached `.info` of uploads deleted or expired in the worker (no Redis there) goes after a day. */
const TUS_CACHE_TTL_SECONDS = 24 * 3600;

/**
 * The tus endpoint and what it shares with other API instances (Redis) and with S3. API process only.
 * Nothing here waits for Redis: the API starts and serves every other route without it, and tus
 * answers 503 until it is reachable (connections fail fast and reconnect in the background).
 */
export const tusProviders: Provider[] = [
  {
    provide: TUS_REDIS,
    inject: [CONFIG, LOGGER],
    useFactory: (config: AppConfig, logger: Logger) => connectRedis(config, logger, 'tus'),
  },
  {
    provide: RedisLocker,
    inject: [CONFIG, TUS_REDIS, LOGGER],
    useFactory: async (config: AppConfig, redis: Redis, logger: Logger) => {
      const locker = new RedisLocker(redis, connectRedis(config, logger, 'tus-lock-releases'), logger);
      await locker.start();
      return locker;
    },
  },
  {
    provide: IntakeS3Store,
    inject: [CONFIG, TUS_REDIS],
    useFactory: (config: AppConfig, redis: Redis) =>
      new IntakeS3Store({
        partSize: config.TUS_PART_SIZE_BYTES,
        // Each part is a file in os.tmpdir() until S3 has it: this bounds the disk tus uses.
        maxConcurrentPartUploads: config.TUS_MAX_CONCURRENT_PART_UPLOADS,
        // Expiry follows the Intake upload's window (TusReconciler), not a store-wide period.
        expirationPeriodInMilliseconds: 0,
        useTags: false,
        // Shared, so every instance sees the same upload length after a deferred declaration.
        cache: new TusInfoCache(redis, 'intake:tus:info:', TUS_CACHE_TTL_SECONDS),
        s3ClientConfig: {
          bucket: config.S3_BUCKET,
          endpoint: config.S3_ENDPOINT,
          region: config.S3_REGION,
          forcePathStyle: config.S3_FORCE_PATH_STYLE,
          credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        },
      }),
  },
  TusArrival,
  TusEndpoint,
  TusReconciler,
];
