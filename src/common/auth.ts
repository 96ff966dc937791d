import { CanActivate, ExecutionContext, Inject, Injectable, createParamDecorator } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig, CONFIG } from '../config/config';
import type { Tenant } from '../database/entities/tenant.entity';
import { TenantStore } from '../tenants/tenant-store';
import { errors } from './errors';

const API_KEY_PREFIX = 'ik_';

/** 256 random bits; the prefix makes leaked keys easy to spot in logs and secret scanners. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

function bearerToken(req: Request): string | null {
  const header = req.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match ? match[1]! : null;
}

type TenantRequest = Request & { tenant?: Tenant };

/** Tenant calls: `Authorization: Bearer <apiKey>`, looked up by hash. */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(@Inject(TenantStore) private readonly tenants: TenantStore) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<TenantRequest>();
    const token = bearerToken(req);
    if (!token?.startsWith(API_KEY_PREFIX)) throw errors.unauthorized();
    const tenant = await this.tenants.findByApiKeyHash(hashApiKey(token));
    if (!tenant) throw errors.unauthorized();
    req.tenant = tenant;
    return true;
  }
}

/** Operator calls: `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.ADMIN_TOKEN) throw errors.adminDisabled();
    const token = bearerToken(context.switchToHttp().getRequest<Request>());
    const want = createHash('sha256').update(this.config.ADMIN_TOKEN).digest();
    const got = createHash('sha256').update(token ?? '').digest();
    if (!token || !timingSafeEqual(want, got)) throw errors.unauthorized();
    return true;
  }
}

export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): Tenant => {
  return context.switchToHttp().getRequest<TenantRequest>().tenant!;
});
