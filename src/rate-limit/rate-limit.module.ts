import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger';
import { AppConfig, CONFIG } from '../config/config';
import { RateLimitInterceptor } from './rate-limit.interceptor';
import { REDIS, connectRedis } from './redis';
import { RequestRateLimiter } from './request-rate-limiter';

/** Per-tenant and per-token request limits on every tenant route; exports the limiter for tus and Redis for /health. */
@Module({})
export class RateLimitModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  static forRoot(logger: Logger): DynamicModule {
    return {
      module: RateLimitModule,
      providers: [
        { provide: LOGGER, useValue: logger },
        { provide: REDIS, inject: [CONFIG], useFactory: (config: AppConfig) => connectRedis(config, logger) },
        RequestRateLimiter,
        { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
      ],
      exports: [RequestRateLimiter, REDIS],
    };
  }

  onApplicationShutdown() {
    this.redis.disconnect();
  }
}
