import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiKeyOnly, TenantGuard } from '../auth/guards';
import { CurrentTenant } from '../auth/principal';
import { errors } from '../common/errors';
import { AppConfig, CONFIG } from '../config/config';
import type { Tenant } from '../database/entities/tenant.entity';
import { EndpointChanges, WebhookEndpointStore } from './endpoint-store';
import { WebhookUrlCheck } from './webhook-url-check';
import { EndpointView, presentEndpoint } from './webhook-views';
import { CreateEndpointDto, UpdateEndpointDto } from './webhooks.dto';
import { ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { ApiAuth, Fails, Responds, RespondsEmpty } from '../openapi/decorators';

const endpointId = new ParseUUIDPipe({ exceptionFactory: () => errors.webhookEndpointNotFound() });

/** The endpoint and its secret: the only answers that show a secret (creation and rotation). */
export type EndpointWithSecret = EndpointView & { secret: string };

/** A tenant's webhook endpoints (API keys only). Each URL passes the outbound guard when set. */
@ApiTags('Webhooks')
@Controller('v1/webhooks/endpoints')
@UseGuards(TenantGuard)
@ApiKeyOnly()
export class WebhookEndpointsController {
  private readonly urls: WebhookUrlCheck;

  constructor(
    @Inject(WebhookEndpointStore) private readonly endpoints: WebhookEndpointStore,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {
    this.urls = WebhookUrlCheck.fromConfig(config);
  }

  @ApiAuth.apiKey()
  @Responds(201, 'WebhookEndpointWithSecret', 'The endpoint and its signing secret (shown here and on rotation only).')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_WEBHOOK_URL], 403: [ErrorCode.TOKEN_NOT_PERMITTED], 409: [ErrorCode.TOO_MANY_WEBHOOK_ENDPOINTS] })
  @Post()
  @HttpCode(201)
  async create(@CurrentTenant() tenant: Tenant, @Body() dto: CreateEndpointDto): Promise<EndpointWithSecret> {
    await this.urls.assertAllowed(dto.url);
    // Every event fans out to each endpoint in one workflow: the cap bounds that workflow too.
    const endpoint = await this.endpoints.createWithinLimit(
      tenant.id,
      { url: dto.url, events: dto.events, description: dto.description },
      this.config.WEBHOOK_MAX_ENDPOINTS,
    );
    if (!endpoint) throw errors.tooManyWebhookEndpoints(this.config.WEBHOOK_MAX_ENDPOINTS);
    return { ...presentEndpoint(endpoint), secret: endpoint.secret };
  }

  @ApiAuth.apiKey()
  @Responds(200, 'WebhookEndpointList', 'Every endpoint of the tenant.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED] })
  @Get()
  async list(@CurrentTenant() tenant: Tenant): Promise<{ items: EndpointView[] }> {
    return { items: (await this.endpoints.list(tenant.id)).map((e) => presentEndpoint(e)) };
  }

  @ApiAuth.apiKey()
  @Responds(200, 'WebhookEndpoint', 'The endpoint.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED], 404: [ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND] })
  @Get(':id')
  async get(@CurrentTenant() tenant: Tenant, @Param('id', endpointId) id: string): Promise<EndpointView> {
    const endpoint = await this.endpoints.find(tenant.id, id);
    if (!endpoint) throw errors.webhookEndpointNotFound();
    return presentEndpoint(endpoint);
  }

  @ApiAuth.apiKey()
  @Responds(200, 'WebhookEndpoint', 'The endpoint as changed.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_WEBHOOK_URL], 403: [ErrorCode.TOKEN_NOT_PERMITTED], 404: [ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND] })
  @Patch(':id')
  async update(@CurrentTenant() tenant: Tenant, @Param('id', endpointId) id: string, @Body() dto: UpdateEndpointDto): Promise<EndpointView> {
    if (dto.url !== undefined) await this.urls.assertAllowed(dto.url);
    const changes: EndpointChanges = {};
    if (dto.url !== undefined) changes.url = dto.url;
    if (dto.events !== undefined) changes.events = dto.events;
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.enabled !== undefined) changes.enabled = dto.enabled;
    const endpoint = await this.endpoints.update(tenant.id, id, changes);
    if (!endpoint) throw errors.webhookEndpointNotFound();
    return presentEndpoint(endpoint);
  }

  /** Its deliveries and their log go with it. */
  @ApiAuth.apiKey()
  @RespondsEmpty(204, 'Deleted, with its deliveries.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED], 404: [ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND] })
  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentTenant() tenant: Tenant, @Param('id', endpointId) id: string): Promise<void> {
    if (!(await this.endpoints.delete(tenant.id, id))) throw errors.webhookEndpointNotFound();
  }

  /**
   * A new secret, shown once. For WEBHOOK_SECRET_GRACE_SECONDS every delivery carries both
   * signatures (Standard Webhooks: space-separated), so consumers switch without missing one.
   */
  @ApiAuth.apiKey()
  @Responds(200, 'WebhookEndpointWithSecret', 'The new secret; the old one still signs until previousSecretExpiresAt.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED], 404: [ErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND] })
  @Post(':id/rotate-secret')
  @HttpCode(200)
  async rotateSecret(@CurrentTenant() tenant: Tenant, @Param('id', endpointId) id: string): Promise<EndpointWithSecret> {
    const endpoint = await this.endpoints.rotateSecret(tenant.id, id, this.config.WEBHOOK_SECRET_GRACE_SECONDS);
    if (!endpoint) throw errors.webhookEndpointNotFound();
    return { ...presentEndpoint(endpoint), secret: endpoint.secret };
  }
}
