import { CanActivate, Controller, ExecutionContext, Get, Inject, Injectable, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { bearerMatches } from '../../auth/credentials';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ErrorCode, errors } from '../../common/errors';
import { Fails, RespondsText, SECURITY } from '../../openapi/decorators';
import { AppConfig, CONFIG } from '../../config/config';
import { API_METRICS } from './metrics.tokens';
import type { ApiMetrics } from './api-metrics';

/** With METRICS_TOKEN set, scrapes must carry it (`Authorization: Bearer`); without, /metrics is open. */
@Injectable()
export class MetricsGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const token = this.config.METRICS_TOKEN;
    if (token && !bearerMatches(context.switchToHttp().getRequest<Request>().headers.authorization, token)) {
      throw errors.unauthorized();
    }
    return true;
  }
}

/** Prometheus's text format; registered only when METRICS_ENABLED. */
@ApiTags('Operations')
@Controller('metrics')
@UseGuards(MetricsGuard)
export class MetricsController {
  constructor(@Inject(API_METRICS) private readonly metrics: ApiMetrics) {}

  @ApiSecurity(SECURITY.metrics)
  @RespondsText(200, 'text/plain', 'Prometheus text exposition format (docs/metrics.md).')
  @Fails({ 401: [ErrorCode.UNAUTHORIZED] })
  @Get()
  async scrape(@Res() res: Response): Promise<void> {
    const body = await this.metrics.registry.metrics();
    // end(), not send(): Express would rewrite the exposition format's content type.
    res.status(200).setHeader('Content-Type', this.metrics.registry.contentType);
    res.end(body);
  }
}
