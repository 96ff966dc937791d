import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { IsString, Length } from 'class-validator';
import { errors } from '../common/errors';
import type { ApiKey } from '../database/entities/api-key.entity';
import type { Tenant } from '../database/entities/tenant.entity';
import { ApiKeyStore } from './api-key-store';
import { ApiKeyOnly, TenantGuard } from './guards';
import { CurrentTenant } from './principal';

export class CreateApiKeyDto {
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
@Controller('v1/api-keys')
@UseGuards(TenantGuard)
@ApiKeyOnly()
export class ApiKeysController {
  constructor(@Inject(ApiKeyStore) private readonly keys: ApiKeyStore) {}

  /** The key itself is in this response only. */
  @Post()
  @HttpCode(201)
  async create(@CurrentTenant() tenant: Tenant, @Body() dto: CreateApiKeyDto): Promise<ApiKeyView & { key: string }> {
    const { key, secret } = await this.keys.create(tenant.id, dto.name);
    return { ...present(key), key: secret };
  }

  @Get()
  async list(@CurrentTenant() tenant: Tenant): Promise<{ apiKeys: ApiKeyView[] }> {
    return { apiKeys: (await this.keys.list(tenant.id)).map(present) };
  }

  /** Revoking the key that makes the call is allowed: it is refused from the next request on. */
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentTenant() tenant: Tenant, @Param('id', keyId) id: string): Promise<void> {
    if (!(await this.keys.revoke(tenant.id, id))) throw errors.apiKeyNotFound();
  }
}
