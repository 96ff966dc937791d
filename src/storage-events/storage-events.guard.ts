import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { bearerToken } from '../auth/credentials';
import { errors } from '../common/errors';
import { AppConfig, CONFIG } from '../config/config';

/**
 * The storage's notifications carry STORAGE_EVENTS_TOKEN as a bearer token (MinIO's webhook
 * auth_token). Compared in constant time; without a configured token the route does not exist.
 */
@Injectable()
export class StorageEventsGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.STORAGE_EVENTS_TOKEN) throw errors.notFound();
    const token = bearerToken(context.switchToHttp().getRequest<Request>().headers.authorization);
    const want = createHash('sha256').update(this.config.STORAGE_EVENTS_TOKEN).digest();
    const got = createHash('sha256').update(token ?? '').digest();
    if (!token || !timingSafeEqual(want, got)) throw errors.unauthorized();
    return true;
  }
}
