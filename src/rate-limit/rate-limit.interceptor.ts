import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { Observable, from, switchMap } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/principal';
import { RequestRateLimiter } from './request-rate-limiter';

/**
 * Counts every tenant call. Interceptors run after guards, so TenantGuard has already named the
 * principal; routes without one (admin, health) are not limited here.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  constructor(@Inject(RequestRateLimiter) private readonly limiter: RequestRateLimiter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const principal = http.getRequest<AuthenticatedRequest>().principal;
    if (!principal) return next.handle();
    return from(this.limiter.consume(principal)).pipe(
      switchMap((headers) => {
        http.getResponse<Response>().set(headers);
        return next.handle();
      }),
    );
  }
}
