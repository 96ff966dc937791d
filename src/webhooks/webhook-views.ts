import type { WebhookEndpoint } from '../database/entities/webhook-endpoint.entity';
import type { Delivery, DeliveryFailure, DeliveryStatus } from './delivery-store';

export type EndpointStatus = 'healthy' | 'failing' | 'disabled';

export interface EndpointView {
  id: string;
  url: string;
  description: string | null;
  /** null: every event type. */
  events: string[] | null;
  enabled: boolean;
  /** `disabled` when off; `failing` once a delivery ran out of attempts, until one succeeds. */
  status: EndpointStatus;
  /** Why it is off: `disabled_by_tenant`, or `gone` (it answered 410). */
  disabledReason: string | null;
  failingSince: string | null;
  /** Until when deliveries also carry the previous secret's signature; null outside a rotation. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryView {
  id: string;
  /** The `webhook-id` header: the same for this event on every endpoint and attempt. */
  webhookId: string;
  eventType: string;
  uploadId: string;
  endpointId: string;
  status: DeliveryStatus;
  failureReason: DeliveryFailure | null;
  nextAttemptAt: string | null;
  /** All attempts made; `attempts` lists the latest 50 of them. */
  attemptCount: number;
  attempts: Array<{ at: string; statusCode: number | null; latencyMs: number | null; error: string | null; response: string | null }>;
  createdAt: string;
}

export function endpointStatus(endpoint: Pick<WebhookEndpoint, 'enabled' | 'failingSince'>): EndpointStatus {
  if (!endpoint.enabled) return 'disabled';
  return endpoint.failingSince ? 'failing' : 'healthy';
}

export function presentEndpoint(endpoint: WebhookEndpoint, now = new Date()): EndpointView {
  const grace = endpoint.previousSecretExpiresAt;
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events,
    enabled: endpoint.enabled,
    status: endpointStatus(endpoint),
    disabledReason: endpoint.disabledReason,
    failingSince: endpoint.failingSince?.toISOString() ?? null,
    previousSecretExpiresAt: grace && grace > now ? grace.toISOString() : null,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

export function presentDelivery(delivery: Delivery): DeliveryView {
  return {
    id: delivery.id,
    webhookId: delivery.webhookId,
    eventType: delivery.eventType,
    uploadId: delivery.uploadId,
    endpointId: delivery.endpointId,
    status: delivery.status,
    failureReason: delivery.failureReason,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    attemptCount: delivery.attemptCount,
    attempts: delivery.attempts.map((a) => ({
      at: a.at.toISOString(),
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      error: a.error,
      response: a.response,
    })),
    createdAt: delivery.createdAt.toISOString(),
  };
}
