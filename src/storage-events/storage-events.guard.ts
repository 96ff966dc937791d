import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { bearerMatches } from '../auth/credentials';
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
    if (!bearerMatches(context.switchToHttp().getRequest<Request>().headers.authorization, this.config.STORAGE_EVENTS_TOKEN)) throw errors.unauthorized();
    return true;
  }
}
