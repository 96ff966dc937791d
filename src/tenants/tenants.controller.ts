import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { IsOptional, IsString, IsUrl, Length } from 'class-validator';
import { randomBytes, randomUUID } from 'node:crypto';
import { AdminGuard, generateApiKey, hashApiKey } from '../common/auth';
import { TenantStore } from './tenant-store';

export class CreateTenantDto {
  @IsString()
  @Length(1, 200)
  name!: string;

  @IsOptional()
  @IsUrl({ require_protocol: true, protocols: ['http', 'https'], require_tld: false }, { message: 'webhookUrl must be an http(s) URL' })
  webhookUrl?: string;
}

export interface CreatedTenant {
  id: string;
  name: string;
  /** Shown once; only its hash is stored. */
  apiKey: string;
  webhookSecret: string;
}

@Controller('v1/admin/tenants')
@UseGuards(AdminGuard)
export class TenantsController {
  constructor(@Inject(TenantStore) private readonly tenants: TenantStore) {}

  @Post()
  @HttpCode(201)
  async create(@Body() dto: CreateTenantDto): Promise<CreatedTenant> {
    const apiKey = generateApiKey();
    // Standard Webhooks secrets are whsec_ + base64 of 24-64 random bytes.
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const tenant = await this.tenants.create({
      id: randomUUID(),
      name: dto.name,
      apiKeyHash: hashApiKey(apiKey),
      webhookUrl: dto.webhookUrl ?? null,
      webhookSecret,
    });
    return { id: tenant.id, name: tenant.name, apiKey, webhookSecret };
  }
}
