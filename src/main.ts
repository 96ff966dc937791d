import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { corsOptions } from './common/cors';
import { rejectUnreadableBody } from './common/json-errors';
import { ErrorFilter } from './common/http-exception.filter';
import { NestPinoLogger, createLogger } from './common/logger';
import { assignRequestId } from './common/request-id';
import { validationError } from './common/validation';
import { loadConfig } from './config/config';
import { traceRequests } from './observability/tracing/request-spans';
import { TRACING, type Tracing } from './observability/tracing/tracing.module';
import type { ApiMetrics } from './observability/metrics/api-metrics';
import { recordHttpMetrics } from './observability/metrics/http-metrics';
import { API_METRICS } from './observability/metrics/metrics.tokens';
import { createOpenApiDocument, mountApiDocs } from './openapi/openapi-document';
import { TUS_PATH, TusEndpoint } from './tus/tus-endpoint';

let logger: Logger | undefined;

async function main() {
  const config = loadConfig();
  logger = createLogger(config.LOG_LEVEL, 'api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    logger: new NestPinoLogger(logger),
    // Our own parser, so body errors get stable codes and catalogue messages (Nest drops the cause).
    bodyParser: false,
  });
  // Before CORS, so preflights are counted too; it only watches for each response's end.
  const metrics = app.get<ApiMetrics | null>(API_METRICS);
  if (metrics) app.use(recordHttpMetrics(metrics, [TUS_PATH]));
  // First, so preflights (tus's included) are answered before anything else looks at the request.
  app.enableCors(corsOptions(config.CORS_ORIGINS));
  const tracing = app.get<symbol, Tracing | null>(TRACING);
  if (tracing) app.use(traceRequests(tracing.tracer, [TUS_PATH]));
  app.use(assignRequestId);
  // tus streams request bodies to S3: it is mounted before (so never behind) the JSON parser. It
  // leaves CORS to app.enableCors (see src/tus/tus-cors.ts), which must be registered above it.
  app.use(TUS_PATH, app.get(TusEndpoint).handle);
  app.use(json({ limit: '64kb' }), rejectUnreadableBody(logger));
  // Uppy sends metadata as `metadata[k]=v`: qs-style nesting (Express 5's default parser is flat).
  app.set('query parser', 'extended');
  app.useGlobalFilters(new ErrorFilter(logger));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // Our messages only: class-validator's never hold values, and the target object is the client's input.
      validationError: { target: false, value: false },
      exceptionFactory: validationError,
    }),
  );
  mountApiDocs(app, createOpenApiDocument(app));
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'api listening');
}

main().catch((err) => {
  (logger ?? createLogger('info', 'api')).fatal({ err }, 'api failed to start');
  process.exit(1);
});
