import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppConfig, CONFIG } from '../config/config';
import { errors } from '../common/errors';
import { Authenticator } from './authenticator';
import { UPLOAD_TOKEN_PREFIX, bearerMatches, bearerToken } from './credentials';
import type { AuthenticatedRequest } from './principal';

const API_KEY_ONLY = 'intake:api-key-only';
const TOKEN_IN_QUERY = 'intake:token-in-query';

/** Routes an upload token may not call (listing uploads, keys, tokens, webhooks): 403 TOKEN_NOT_PERMITTED. */
export const ApiKeyOnly = () => SetMetadata(API_KEY_ONLY, true);

/** Routes a browser's EventSource calls, which cannot send headers: they also take `?token=ut_…`. */
export const TokenInQuery = () => SetMetadata(TOKEN_IN_QUERY, true);

/**
 * Tenant calls: `Authorization: Bearer ik_…` (API key) or `Bearer ut_…` (upload token). Routes
 * with a `:token` path parameter (Uppy's, whose S3 plugin sends no auth header) take it from there,
 * routes marked TokenInQuery from `?token=` when it is given.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const fromPath = typeof req.params?.token === 'string' ? req.params.token : null;
    const inQuery = this.reflector.getAllAndOverride<boolean>(TOKEN_IN_QUERY, [context.getHandler(), context.getClass()]);
    const fromQuery = inQuery && req.query?.token !== undefined ? req.query.token : null;
    const fromUrl = fromPath ?? fromQuery;
    // URLs end up in access logs and browser history: only short-lived upload tokens may travel there.
    if (fromUrl !== null && (typeof fromUrl !== 'string' || !fromUrl.startsWith(UPLOAD_TOKEN_PREFIX))) throw errors.unauthorized();
    const principal = await this.authenticator.authenticate(fromUrl ?? bearerToken(req.headers.authorization));
    req.principal = principal;
    req.tenant = principal.tenant;
    const apiKeyOnly = this.reflector.getAllAndOverride<boolean>(API_KEY_ONLY, [context.getHandler(), context.getClass()]);
    if (apiKeyOnly && principal.kind !== 'api_key') throw errors.tokenNotPermitted();
    return true;
  }
}

/** Operator calls: `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.ADMIN_TOKEN) throw errors.adminDisabled();
    if (!bearerMatches(context.switchToHttp().getRequest<Request>().headers.authorization, this.config.ADMIN_TOKEN)) throw errors.unauthorized();
    return true;
  }
}
