import { Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { ApiKeyOnly, TenantGuard } from '../auth/guards';
import { CurrentTenant } from '../auth/principal';
import { errors } from '../common/errors';
import { decodeCursor, encodeCursor } from '../common/keyset-cursor';
import { LIST_DEFAULT_LIMIT } from '../common/page-query';
import type { Tenant } from '../database/entities/tenant.entity';
import { WebhookDeliveryStore } from './delivery-store';
import { WebhookEndpointStore } from './endpoint-store';
import { WebhookPublisher } from './event-publisher';
import { DeliveryView, presentDelivery } from './webhook-views';
import { ListDeliveriesQuery } from './webhooks.dto';
import { webhookReplayWorkflowIdFor } from '../../workflows/contract';
import { ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import { ApiAuth, Fails, Responds } from '../openapi/decorators';

const deliveryId = new ParseUUIDPipe({ exceptionFactory: () => errors.webhookDeliveryNotFound() });

/** The delivery log (API keys only): every delivery of the tenant's events, with each attempt. */
@ApiTags('Webhooks')
@Controller('v1/webhooks/deliveries')
@UseGuards(TenantGuard)
@ApiKeyOnly()
export class WebhookDeliveriesController {
  constructor(
    @Inject(WebhookDeliveryStore) private readonly deliveries: WebhookDeliveryStore,
    @Inject(WebhookEndpointStore) private readonly endpoints: WebhookEndpointStore,
    @Inject(WebhookPublisher) private readonly publisher: WebhookPublisher,
  ) {}

  /** Newest first, keyset-paged like GET /v1/uploads. */
  @ApiAuth.apiKey()
  @Responds(200, 'WebhookDeliveryPage', 'Newest first.')
  @Fails({ 400: [ErrorCode.VALIDATION_FAILED], 403: [ErrorCode.TOKEN_NOT_PERMITTED] })
  @Get()
  async list(
    @CurrentTenant() tenant: Tenant,
    @Query() query: ListDeliveriesQuery,
  ): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    const limit = query.limit ?? LIST_DEFAULT_LIMIT;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.deliveries.listPage(
      tenant.id,
      { endpointId: query.endpointId, uploadId: query.uploadId, status: query.status },
      after,
      limit + 1,
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => presentDelivery(r.delivery)),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.position) : null,
    };
  }

  @ApiAuth.apiKey()
  @Responds(200, 'WebhookDelivery', 'The delivery and its latest attempts.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED], 404: [ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND] })
  @Get(':id')
  async get(@CurrentTenant() tenant: Tenant, @Param('id', deliveryId) id: string): Promise<DeliveryView> {
    const delivery = await this.deliveries.find(tenant.id, id);
    if (!delivery) throw errors.webhookDeliveryNotFound();
    return presentDelivery(delivery);
  }

  /**
   * Sends the same event again (same `webhook-id`, freshly signed) as one more attempt, whatever
   * the delivery's status. Accepted: the attempt appears in the delivery's log once made; a
   * failed replay changes nothing else.
   */
  @ApiAuth.apiKey()
  @Responds(202, 'WebhookDelivery', 'Accepted: the attempt appears in the log once made.')
  @Fails({ 403: [ErrorCode.TOKEN_NOT_PERMITTED], 404: [ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND], 409: [ErrorCode.WEBHOOK_ENDPOINT_DISABLED, ErrorCode.WEBHOOK_REPLAY_IN_PROGRESS] })
  @Post(':id/replay')
  @HttpCode(202)
  async replay(@CurrentTenant() tenant: Tenant, @Param('id', deliveryId) id: string): Promise<DeliveryView> {
    const delivery = await this.deliveries.find(tenant.id, id);
    if (!delivery) throw errors.webhookDeliveryNotFound();
    const endpoint = await this.endpoints.find(tenant.id, delivery.endpointId);
    if (!endpoint?.enabled) throw errors.webhookEndpointDisabled();
    const started = await this.publisher.startDelivery(
      { eventId: delivery.webhookId, deliveryIds: [delivery.id], scheduleMs: [0], replay: true },
      webhookReplayWorkflowIdFor(delivery.id),
      WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    );
    // One replay at a time per delivery: replays cannot pile up attempts faster than they finish.
    if (!started) throw errors.webhookReplayInProgress();
    return presentDelivery(delivery);
  }
}
