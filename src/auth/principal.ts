import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import type { Tenant } from '../database/entities/tenant.entity';
import type { Upload } from '../database/entities/upload.entity';
import type { UploadToken } from '../database/entities/upload-token.entity';

/** Who is calling: a tenant's backend (API key) or a browser holding an upload token. */
export type Principal =
  | { kind: 'api_key'; tenant: Tenant; apiKeyId: string }
  | { kind: 'upload_token'; tenant: Tenant; token: UploadToken };

/** An API key sees every upload of its tenant; a token only the uploads it created. */
export function canSee(principal: Principal, upload: Pick<Upload, 'tenantId' | 'tokenId'>): boolean {
  if (upload.tenantId !== principal.tenant.id) return false;
  return principal.kind === 'api_key' || upload.tokenId === principal.token.id;
}

export type AuthenticatedRequest = Request & { principal?: Principal; tenant?: Tenant };

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().principal!;
});

export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): Tenant => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().principal!.tenant;
});
