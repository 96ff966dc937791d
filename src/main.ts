import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import { AppModule } from './app.module';
import { errors } from './common/errors';
import { rejectMalformedJson } from './common/json-errors';
import { ErrorFilter } from './common/http-exception.filter';
import { NestPinoLogger, createLogger } from './common/logger';
import { loadConfig } from './config/config';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    logger: new NestPinoLogger(logger),
    // Our own parser, so malformed JSON gets its stable INVALID_JSON code (Nest drops the cause).
    bodyParser: false,
  });
  app.use(json({ limit: '64kb' }), rejectMalformedJson);
  app.useGlobalFilters(new ErrorFilter(logger));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (issues) =>
        errors.validation(issues.flatMap((i) => Object.values(i.constraints ?? {})).join('; ') || 'Invalid request'),
    }),
  );
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'api listening');
}

main().catch((err) => {
  process.stderr.write(`api failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
