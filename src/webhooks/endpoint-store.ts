import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { WebhookEndpoint } from '../database/entities/webhook-endpoint.entity';

/** Standard Webhooks secrets are `whsec_` + base64 of 24-64 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface NewEndpoint {
  url: string;
  description?: string | null;
  events?: string[] | null;
}

export type EndpointChanges = Partial<Pick<WebhookEndpoint, 'url' | 'description' | 'events' | 'enabled'>>;

/** A tenant's webhook endpoints. Every lookup is scoped to the tenant: another's is simply absent. */
@Injectable()
export class WebhookEndpointStore {
  private readonly endpoints: Repository<WebhookEndpoint>;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    this.endpoints = dataSource.getRepository(WebhookEndpoint);
  }

  /**
   * Creates the endpoint unless the tenant has `max` already (null then). Creations of one tenant
   * are serialised by an advisory lock, so racing requests cannot pass the cap together.
   */
  async createWithinLimit(tenantId: string, endpoint: NewEndpoint, max: number): Promise<WebhookEndpoint | null> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 11))`, [tenantId]);
      const repo = tx.getRepository(WebhookEndpoint);
      if ((await repo.countBy({ tenantId })) >= max) return null;
      return repo.save(this.newEndpoint(tenantId, endpoint));
    });
  }

  create(tenantId: string, endpoint: NewEndpoint): Promise<WebhookEndpoint> {
    return this.endpoints.save(this.newEndpoint(tenantId, endpoint));
  }

  private newEndpoint(tenantId: string, endpoint: NewEndpoint): WebhookEndpoint {
    return this.endpoints.create({
      id: randomUUID(),
      tenantId,
      url: endpoint.url,
      description: endpoint.description ?? null,
      events: endpoint.events ?? null,
      enabled: true,
      disabledReason: null,
      failingSince: null,
      secret: newWebhookSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
  }

  list(tenantId: string): Promise<WebhookEndpoint[]> {
    return this.endpoints.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  find(tenantId: string, id: string): Promise<WebhookEndpoint | null> {
    return this.endpoints.findOneBy({ tenantId, id });
  }

  /**
   * Applies the tenant's changes. Turning an endpoint off records why; turning it back on clears
   * that and its failing mark (the tenant says it is fixed; the next delivery will tell).
   */
  async update(tenantId: string, id: string, changes: EndpointChanges): Promise<WebhookEndpoint | null> {
    const endpoint = await this.find(tenantId, id);
    if (!endpoint) return null;
    const next: Partial<WebhookEndpoint> = { ...changes };
    if (changes.enabled === false && endpoint.enabled) next.disabledReason = 'disabled_by_tenant';
    if (changes.enabled === true && !endpoint.enabled) Object.assign(next, { disabledReason: null, failingSince: null });
    if (Object.keys(next).length) await this.endpoints.update({ tenantId, id }, next as never);
    return this.find(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.endpoints.delete({ tenantId, id });
    return (result.affected ?? 0) > 0;
  }

  /**
   * A new secret; the current one keeps signing (beside it) for `graceSeconds`, so consumers can
   * switch without missing a delivery. Rotating again within the grace drops the oldest.
   */
  async rotateSecret(tenantId: string, id: string, graceSeconds: number): Promise<WebhookEndpoint | null> {
    const secret = newWebhookSecret();
    const result = await this.endpoints
      .createQueryBuilder()
      .update()
      .set({
        previousSecret: () => 'secret',
        previousSecretExpiresAt: () => `now() + make_interval(secs => :grace)`,
        secret,
      })
      .where('tenant_id = :tenantId AND id = :id', { tenantId, id, grace: graceSeconds })
      .execute();
    return (result.affected ?? 0) > 0 ? this.find(tenantId, id) : null;
  }
}
