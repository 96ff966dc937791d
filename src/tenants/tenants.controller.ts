import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, UseGuards } from '@nestjs/common';
import { IsObject, IsOptional, IsString, Length } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { ApiKeyStore } from '../auth/api-key-store';
import { AdminGuard, ApiKeyOnly, TenantGuard } from '../auth/guards';
import { CurrentTenant } from '../auth/principal';
import { AppConfig, CONFIG, effectiveMaxUploadBytes } from '../config/config';
import { errors } from '../common/errors';
import type { Tenant } from '../database/entities/tenant.entity';
import { UploadStore } from '../uploads/upload-store';
import { TenantPolicy, tenantPolicySchema } from './tenant-policy';
import { TenantStore } from './tenant-store';
import { WebhookEndpointStore } from '../webhooks/endpoint-store';
import { WebhookUrlCheck } from '../webhooks/webhook-url-check';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { schemaRef } from '../openapi/schemas';
import { ApiAuth, Fails, Responds } from '../openapi/decorators';

export class CreateTenantDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Acme' })
  @IsString()
  @Length(1, 200)
  name!: string;

  /**
   * Becomes the tenant's first webhook endpoint (all events). Checked by WebhookUrlCheck (scheme,
   * credentials, address), which answers INVALID_WEBHOOK_URL.
   */
  @ApiPropertyOptional({ minLength: 1, maxLength: 2048, description: 'Becomes the first webhook endpoint (all events).', example: 'https://acme.example.com/hooks/intake' })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
  webhookUrl?: string;

  /** Validated against tenantPolicySchema. */
  @ApiPropertyOptional({ allOf: [schemaRef('TenantPolicy')] })
  @IsOptional()
  @IsObject()
  policy?: Record<string, unknown>;
}

export class UpdateTenantDto {
  /** The whole policy; fields left out fall back to the platform's defaults. */
  @ApiProperty({ allOf: [schemaRef('TenantPolicy')] })
  @IsObject()
  policy!: Record<string, unknown>;
}

export interface CreatedTenant {
  id: string;
  name: string;
  /** Shown once; only its hash is stored. The tenant's first key, named "default". */
  apiKey: string;
  /** The first endpoint's, when webhookUrl was given (shown once); more via /v1/webhooks/endpoints. */
  webhookEndpointId: string | null;
  webhookSecret: string | null;
  policy: TenantPolicy;
}

export interface TenantView {
  id: string;
  name: string;
  policy: TenantPolicy;
  /** The platform's limits, for what the policy leaves unset. */
  defaults: { maxFileSize: number };
  usage: { storedBytes: number };
}

function parsePolicy(raw: Record<string, unknown>): TenantPolicy {
  const parsed = tenantPolicySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  // zod's messages name paths and rules, never the submitted values.
  throw errors.validation(parsed.error.issues.map((i) => `policy.${i.path.join('.')}: ${i.message}`).join('; '));
}

const tenantId = new ParseUUIDPipe({ exceptionFactory: () => errors.tenantNotFound() });

/** The operator's view of tenants. */
@ApiTags('Admin')
@Controller('v1/admin/tenants')
@UseGuards(AdminGuard)
export class TenantsController {
  private readonly webhookUrls: WebhookUrlCheck;

  constructor(
    @Inject(TenantStore) private readonly tenants: TenantStore,
    @Inject(ApiKeyStore) private readonly apiKeys: ApiKeyStore,
    @Inject(WebhookEndpointStore) private readonly endpoints: WebhookEndpointStore,
    @Inject(CONFIG) config: AppConfig,
  ) {
    this.webhookUrls = WebhookUrlCheck.fromConfig(config);
  }

  @ApiAuth.admin()
  @Responds(201, 'CreatedTenant', 'The tenant, its first API key and (with webhookUrl) its first endpoint and secret.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_WEBHOOK_URL], 403: [ErrorCode.ADMIN_DISABLED] })
  @Post()
  @HttpCode(201)
  async create(@Body() dto: CreateTenantDto): Promise<CreatedTenant> {
    const policy = parsePolicy(dto.policy ?? {});
    if (dto.webhookUrl !== undefined) await this.webhookUrls.assertAllowed(dto.webhookUrl, 'webhookUrl');
    const tenant = await this.tenants.create({ id: randomUUID(), name: dto.name, policy });
    const endpoint = dto.webhookUrl === undefined ? null : await this.endpoints.create(tenant.id, { url: dto.webhookUrl });
    const { secret } = await this.apiKeys.create(tenant.id, 'default');
    return {
      id: tenant.id,
      name: tenant.name,
      apiKey: secret,
      webhookEndpointId: endpoint?.id ?? null,
      webhookSecret: endpoint?.secret ?? null,
      policy,
    };
  }

  @ApiAuth.admin()
  @Responds(200, 'UpdatedTenant', 'The policy now in force.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED], 403: [ErrorCode.ADMIN_DISABLED], 404: [ErrorCode.TENANT_NOT_FOUND] })
  @Patch(':id')
  async update(@Param('id', tenantId) id: string, @Body() dto: UpdateTenantDto): Promise<{ id: string; policy: TenantPolicy }> {
    const tenant = await this.tenants.setPolicy(id, parsePolicy(dto.policy));
    if (!tenant) throw errors.tenantNotFound();
    return { id: tenant.id, policy: tenant.policy };
  }
}

/** The tenant's view of itself: its policy and what it uses. */
@ApiTags('Tenant')
@Controller('v1/tenant')
@UseGuards(TenantGuard)
@ApiKeyOnly()
export class TenantController {
  constructor(
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @ApiAuth.apiKey()
  @Responds(200, 'Tenant', 'Its policy, the defaults and its usage.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED] })
  @Get()
  async get(@CurrentTenant() tenant: Tenant): Promise<TenantView> {
    return {
      id: tenant.id,
      name: tenant.name,
      policy: tenant.policy,
      defaults: { maxFileSize: effectiveMaxUploadBytes(this.config) },
      usage: { storedBytes: await this.uploads.storageUsed(tenant.id) },
    };
  }
}
