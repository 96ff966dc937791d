import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { IsString, Length } from 'class-validator';
import { errors } from '../common/errors';
import type { ApiKey } from '../database/entities/api-key.entity';
import type { Tenant } from '../database/entities/tenant.entity';
import { ApiKeyStore } from './api-key-store';
import { ApiKeyOnly, TenantGuard } from './guards';
import { CurrentTenant } from './principal';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { ApiAuth, Fails, Responds, RespondsEmpty } from '../openapi/decorators';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'backend' })
  @IsString()
  @Length(1, 100)
  name!: string;
}

export interface ApiKeyView {
  id: string;
  name: string;
  /** The key's first characters, to tell keys apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const present = (k: ApiKey): ApiKeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

const keyId = new ParseUUIDPipe({ exceptionFactory: () => errors.apiKeyNotFound() });

/** A tenant's own keys: several, named, revocable. Only API keys may manage them. */
@ApiTags('API keys')
@Controller('v1/api-keys')
@UseGuards(TenantGuard)
@ApiKeyOnly()
export class ApiKeysController {
  constructor(@Inject(ApiKeyStore) private readonly keys: ApiKeyStore) {}

  /** The key itself is in this response only. */
  @ApiAuth.apiKey()
  @Responds(201, 'CreatedApiKey', 'The key itself is in this response only.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED], 403: [ErrorCode.TOKEN_NOT_PERMITTED] })
  @Post()
  @HttpCode(201)
  async create(@CurrentTenant() tenant: Tenant, @Body() dto: CreateApiKeyDto): Promise<ApiKeyView & { key: string }> {
    const { key, secret } = await this.keys.create(tenant.id, dto.name);
    return { ...present(key), key: secret };
  }

  @ApiAuth.apiKey()
  @Responds(200, 'ApiKeyList', 'Every key of the tenant (without the secret).')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED] })
  @Get()
  async list(@CurrentTenant() tenant: Tenant): Promise<{ apiKeys: ApiKeyView[] }> {
    return { apiKeys: (await this.keys.list(tenant.id)).map(present) };
  }

  /** Revoking the key that makes the call is allowed: it is refused from the next request on. */
  @ApiAuth.apiKey()
  @RespondsEmpty(204, 'Revoked.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED], 404: [ErrorCode.API_KEY_NOT_FOUND] })
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentTenant() tenant: Tenant, @Param('id', keyId) id: string): Promise<void> {
    if (!(await this.keys.revoke(tenant.id, id))) throw errors.apiKeyNotFound();
  }
}
