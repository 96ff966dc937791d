import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module';
import { createLogger } from '../src/common/logger';
import { loadConfig } from '../src/config/config';
import { createOpenApiDocument } from '../src/openapi/openapi-document';

/**
 * The committed files `npm run openapi` writes (paths relative to the repository root): the
 * document, then the client's types from it by the openapi-typescript CLI (an ES module chain
 * jest cannot load in-process, so the unit spec runs the CLI too).
 */
export const API_FILES = { document: 'clients/ts/openapi.json', types: 'clients/ts/src/schema.ts' } as const;

/**
 * The API process's module graph without starting anything: preview mode resolves modules and
 * controllers but instantiates no provider, so no database, Temporal or Redis connection opens.
 * The default configuration is used on purpose, so the document never depends on the environment.
 */
export function createPreviewApp(): Promise<INestApplication> {
  return NestFactory.create(AppModule.forRoot(loadConfig({}), createLogger('silent', 'openapi')), { preview: true, logger: false });
}

/** clients/ts/openapi.json's content. */
export function renderApiDocument(app: INestApplication): string {
  return `${JSON.stringify(createOpenApiDocument(app), null, 2)}\n`;
}
