import type { DeliveryView, EndpointView } from '../../src/webhooks/webhook-views';
import { ApiClient } from './api-client';
import { eventually } from './stack';

/**
 * The webhook side of a tenant, through the HTTP API as its backend would use it: endpoints and
 * the delivery log. Each e2e test makes its own tenant, so no test sees another's deliveries.
 */
export class WebhookTenant {
  readonly api: ApiClient;

  constructor(
    apiUrl: string,
    readonly apiKey: string,
  ) {
    this.api = new ApiClient(apiUrl, apiKey);
  }

  /** A tenant without a webhook URL (so without endpoints), made by the operator. */
  static async create(apiUrl: string, adminToken: string): Promise<WebhookTenant> {
    const res = await new ApiClient(apiUrl, adminToken).post('/v1/admin/tenants', { name: 'webhooks-e2e' });
    if (res.status !== 201) throw new Error(`tenant creation answered ${res.status}: ${JSON.stringify(res.body)}`);
    return new WebhookTenant(apiUrl, res.body.apiKey);
  }

  async addEndpoint(url: string, events?: string[]): Promise<EndpointView & { secret: string }> {
    const res = await this.api.post('/v1/webhooks/endpoints', { url, events });
    if (res.status !== 201) throw new Error(`endpoint creation answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async endpoint(id: string): Promise<EndpointView> {
    const res = await this.api.get(`/v1/webhooks/endpoints/${id}`);
    if (res.status !== 200) throw new Error(`GET endpoint answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** One page of the delivery log (newest first) for `query`, e.g. `uploadId=…&status=failed`. */
  async deliveries(query = ''): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    const res = await this.api.get(`/v1/webhooks/deliveries?limit=100${query ? `&${query}` : ''}`);
    if (res.status !== 200) throw new Error(`GET deliveries answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The delivery of `eventType` about `uploadId` to `endpointId`, once it has ended (not pending). */
  ended(endpointId: string, uploadId: string, eventType: string, timeoutMs = 60_000): Promise<DeliveryView> {
    return eventually(
      async () => {
        const { items } = await this.deliveries(`endpointId=${endpointId}&uploadId=${uploadId}`);
        const delivery = items.find((d) => d.eventType === eventType);
        return delivery && delivery.status !== 'pending' ? delivery : undefined;
      },
      timeoutMs,
      `the ${eventType} delivery of upload ${uploadId} to endpoint ${endpointId} to end`,
    );
  }
}

/** The `v1,<base64>` signatures in a `webhook-signature` header. */
export function signaturesIn(header: unknown): string[] {
  return String(header).split(' ').filter(Boolean);
}
