import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SECURITY } from './decorators';
import { toJsonSchema2020 } from './openapi-31';
import { TUS_PATHS, WEBHOOKS } from './openapi-extras';
import { SCHEMAS, schemaRef } from './schemas';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

type Operation = { security?: unknown[]; responses: Record<string, unknown> };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: schemaRef('ErrorBody') } } });

const DESCRIPTION = `Uploads, scanning and media processing. Every error is \`{"error": {"code", "message"}}\` with a
code from the catalogue (ErrorBody); every response carries X-Request-Id. Webhooks are signed per Standard Webhooks.`;

/**
 * The API description, OpenAPI 3.1, from the controllers and DTOs of `app`. The app need not be
 * initialised: one created with `{ preview: true }` (no connections) gives the same document.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Intake API')
    .setDescription(DESCRIPTION)
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A tenant API key, `ik_…`.' }, SECURITY.apiKey)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An upload token, `ut_…`, minted by POST /v1/upload-tokens.' }, SECURITY.uploadToken)
    .addApiKey({ type: 'apiKey', in: 'query', name: 'token', description: 'An upload token (`ut_…`) in the query, for EventSource.' }, SECURITY.uploadTokenQuery)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: "The operator's ADMIN_TOKEN." }, SECURITY.admin)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'STORAGE_EVENTS_TOKEN (MinIO webhook auth_token).' }, SECURITY.storageEvents)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN; required in production (elsewhere, unset: /metrics is open).' }, SECURITY.metrics);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  toJsonSchema2020(document);
  document.openapi = '3.1.0';
  document.info.license = { name: 'UNLICENSED' };
  document.paths = { ...document.paths, ...TUS_PATHS };
  document.paths[OPENAPI_PATH] = {
    get: {
      tags: ['Meta'],
      operationId: 'openapi_document',
      summary: 'This document',
      security: [],
      responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      if (operation.security?.length && !operation.responses['401']) {
        operation.responses['401'] = errorResponse('Codes: UNAUTHORIZED.');
      }
      operation.responses.default ??= errorResponse('Any other error (429 RATE_LIMITED, 503 DEPENDENCY_UNAVAILABLE, ...).');
    }
  }
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...SCHEMAS } };
  document.webhooks = WEBHOOKS;
  return document;
}

/** GET /openapi.json and the Swagger UI at /docs (assets from swagger-ui-dist: works offline). */
export function mountApiDocs(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: OPENAPI_PATH, raw: ['json'] });
}
