import { Body, Controller, Delete, HttpCode, Inject, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { errors } from '../common/errors';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import type { Tenant } from '../database/entities/tenant.entity';
import { ClientMetadata, IsClientMetadata } from '../uploads/client-metadata';
import { ApiKeyOnly, TenantGuard } from './guards';
import { CurrentTenant } from './principal';
import { UploadTokenStore } from './upload-token-store';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { ApiAuth, Fails, Responds, RespondsEmpty } from '../openapi/decorators';

export const UPLOAD_TOKEN_DEFAULT_TTL_SECONDS = 3600;
export const UPLOAD_TOKEN_MAX_TTL_SECONDS = 86_400;

export class CreateUploadTokenDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: UPLOAD_TOKEN_MAX_TTL_SECONDS, description: `Default: ${UPLOAD_TOKEN_DEFAULT_TTL_SECONDS}.` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(UPLOAD_TOKEN_MAX_TTL_SECONDS)
  expiresInSeconds?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100_000, description: 'How many uploads it may create.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxUploads?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Bytes, within the tenant limit.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  maxFileSize?: number;

  @ApiPropertyOptional({ type: 'string', isArray: true, minItems: 1, maxItems: 100, example: ['image/*'] })
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

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, maxProperties: 32, description: 'Added to every upload it creates (wins over the client). Key/value strings (keys 1-64 of A-Z a-z 0-9 _ . : -, values up to 1024 characters).', example: { userId: 'u_42' } })
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
@ApiTags('Upload tokens')
@Controller('v1/upload-tokens')
@UseGuards(TenantGuard)
@ApiKeyOnly()
export class UploadTokensController {
  constructor(@Inject(UploadTokenStore) private readonly tokens: UploadTokenStore) {}

  @ApiAuth.apiKey()
  @Responds(201, 'CreatedUploadToken', 'Hand `token` to one end user; it is shown once.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_REQUEST], 403: [ErrorCode.TOKEN_NOT_PERMITTED] })
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
  @ApiAuth.apiKey()
  @RespondsEmpty(204, 'Revoked at once.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED], 404: [ErrorCode.UPLOAD_TOKEN_NOT_FOUND] })
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentTenant() tenant: Tenant, @Param('id', tokenId) id: string): Promise<void> {
    if (!(await this.tokens.revoke(tenant.id, id))) throw errors.uploadTokenNotFound();
  }
}
