import { applyDecorators } from '@nestjs/common';
import { ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { ErrorCode } from '../common/errors';
import { SchemaName, schemaRef } from './schemas';

/** Security scheme names of the API description (defined in openapi-document.ts). */
export const SECURITY = {
  apiKey: 'apiKey',
  uploadToken: 'uploadToken',
  uploadTokenQuery: 'uploadTokenInQuery',
  admin: 'adminToken',
  storageEvents: 'storageEventsToken',
  metrics: 'metricsToken',
} as const;

/** Who may call: documents the guard the route already has (TenantGuard, ApiKeyOnly, AdminGuard...). */
export const ApiAuth = {
  /** TenantGuard: an API key or an upload token. */
  tenant: () => applyDecorators(ApiSecurity(SECURITY.apiKey), ApiSecurity(SECURITY.uploadToken)),
  /** TenantGuard with ApiKeyOnly. */
  apiKey: () => ApiSecurity(SECURITY.apiKey),
  /** TenantGuard with TokenInQuery: also `?token=ut_…`, for EventSource. */
  tenantOrQueryToken: () =>
    applyDecorators(ApiAuth.tenant(), ApiSecurity(SECURITY.uploadTokenQuery)),
  admin: () => ApiSecurity(SECURITY.admin),
  storageEvents: () => ApiSecurity(SECURITY.storageEvents),
};

/** A JSON success answer of a component schema. */
export const Responds = (status: number, schema: SchemaName, description: string) =>
  ApiResponse({ status, description, schema: schemaRef(schema) });

/** A success answer with no body. */
export const RespondsEmpty = (status: number, description: string) => ApiResponse({ status, description });

/** A non-JSON success answer (playlists, WebVTT, Server-Sent Events). */
export const RespondsText = (status: number, contentType: string, description: string) =>
  ApiResponse({ status, description, content: { [contentType]: { schema: { type: 'string' } } } });

/** Error answers a route gives, with the catalogue codes each status may carry (body: ErrorBody). */
export const Fails = (byStatus: Partial<Record<number, ErrorCode[]>>) =>
  applyDecorators(
    ...Object.entries(byStatus).map(([status, codes]) =>
      ApiResponse({ status: Number(status), description: `Codes: ${codes!.join(', ')}.`, schema: schemaRef('ErrorBody') }),
    ),
  );
