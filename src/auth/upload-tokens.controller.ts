import { Body, Controller, Delete, HttpCode, Inject, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { errors } from '../common/errors';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import type { Tenant } from '../database/entities/tenant.entity';
import { ClientMetadata, IsClientMetadata } from '../uploads/client-metadata';
import { ApiKeyOnly, TenantGuard } from './guards';
import { CurrentTenant } from './principal';
import { UploadTokenStore } from './upload-token-store';

export const UPLOAD_TOKEN_DEFAULT_TTL_SECONDS = 3600;
export const UPLOAD_TOKEN_MAX_TTL_SECONDS = 86_400;

export class CreateUploadTokenDto {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(UPLOAD_TOKEN_MAX_TTL_SECONDS)
  expiresInSeconds?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxUploads?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  maxFileSize?: number;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(/^(\*\/\*|[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*))$/, {
    each: true,
    message: 'allowedTypes must hold MIME types or patterns like image/*',
  })
  allowedTypes?: string[];

  @IsOptional()
  @IsClientMetadata()
  metadata?: ClientMetadata;
}

const tokenId = new ParseUUIDPipe({ exceptionFactory: () => errors.uploadTokenNotFound() });

export interface CreatedUploadToken {
  /** For DELETE /v1/upload-tokens/:id. */
  id: string;
  /** Shown once; only its hash is stored. */
  token: string;
  expiresAt: string;
}

/** A tenant's backend mints a token per end user and hands it to the browser. */
@Controller('v1/upload-tokens')
@UseGuards(TenantGuard)
@ApiKeyOnly()
export class UploadTokensController {
  constructor(@Inject(UploadTokenStore) private readonly tokens: UploadTokenStore) {}

  @Post()
  @HttpCode(201)
  async create(@CurrentTenant() tenant: Tenant, @Body() dto: CreateUploadTokenDto): Promise<CreatedUploadToken> {
    const ttl = dto.expiresInSeconds ?? UPLOAD_TOKEN_DEFAULT_TTL_SECONDS;
    const { token, secret } = await this.tokens.create({
      tenantId: tenant.id,
      expiresAt: new Date(Date.now() + ttl * 1000),
      maxUploads: dto.maxUploads ?? null,
      maxFileSize: dto.maxFileSize ?? null,
      allowedTypes: dto.allowedTypes ?? null,
      metadata: dto.metadata ?? null,
    });
    return { id: token.id, token: secret, expiresAt: token.expiresAt.toISOString() };
  }

  /**
   * Revokes a token at once (a user logged out, a page was abandoned). Uploads it created stay, and
   * their windows close no later than the token's original expiry.
   */
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentTenant() tenant: Tenant, @Param('id', tokenId) id: string): Promise<void> {
    if (!(await this.tokens.revoke(tenant.id, id))) throw errors.uploadTokenNotFound();
  }
}
