import Redis from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';

export const REDIS = Symbol('REDIS');

/**
 * A Redis connection of the API (`name` tells them apart in the log). No offline queue, one
 * attempt and one second per command: a request must never wait for Redis to come back (the rate
 * limiter falls back, tus answers 503). ioredis keeps reconnecting in the background, and never
 * throws at startup when Redis is not there.
 */
export function connectRedis(config: AppConfig, logger: Logger, name = 'rate-limit'): Redis {
  const redis = new Redis(config.REDIS_URL, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // A Redis that accepts the connection but stops answering must not hold requests either.
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
  let reported = false;
  redis.on('error', (err) => {
    // ioredis emits an error per failed reconnect; one line per outage is enough.
    if (!reported) logger.warn({ err: err.message, connection: name }, 'redis connection error');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) logger.info({ connection: name }, 'redis connection restored');
    reported = false;
  });
  return redis;
}
