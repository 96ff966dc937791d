import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { IsOptional, IsString, Length } from 'class-validator';
import { randomBytes, randomUUID } from 'node:crypto';
import { AdminGuard, generateApiKey, hashApiKey } from '../common/auth';
import { AppConfig, CONFIG } from '../config/config';
import { TenantStore } from './tenant-store';
import { WebhookUrlCheck } from './webhook-url-check';

export class CreateTenantDto {
  @IsString()
  @Length(1, 200)
  name!: string;

  /** Checked by WebhookUrlCheck (scheme, credentials, address), which answers INVALID_WEBHOOK_URL. */
  @IsOptional()
  @IsString()
  @Length(1, 2048)
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
  private readonly webhookUrls: WebhookUrlCheck;

  constructor(
    @Inject(TenantStore) private readonly tenants: TenantStore,
    @Inject(CONFIG) config: AppConfig,
  ) {
    this.webhookUrls = WebhookUrlCheck.fromConfig(config);
  }

  @Post()
  @HttpCode(201)
  async create(@Body() dto: CreateTenantDto): Promise<CreatedTenant> {
    if (dto.webhookUrl !== undefined) await this.webhookUrls.assertAllowed(dto.webhookUrl);
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
