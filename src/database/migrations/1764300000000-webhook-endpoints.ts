import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks become durable and visible: several endpoints per tenant (each with its own secret,
 * rotated with a grace period), one event per upload change, one delivery per (event, endpoint),
 * and every attempt on record. A tenant's old single webhookUrl becomes its first endpoint, with
 * the secret its consumers already verify with and the event types it always received.
 */
export class WebhookEndpoints1764300000000 implements MigrationInterface {
  name = 'WebhookEndpoints1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        url text NOT NULL,
        description text,
        events text[],
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        failing_since timestamptz,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at)`);

    await q.query(`
      CREATE TABLE webhook_events (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        upload_id uuid NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        output_keys jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        event_id text NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL,
        upload_id uuid NOT NULL,
        event_type text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','succeeded','failed')),
        failure_reason text,
        next_attempt_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (event_id, endpoint_id)
      )`);
    // The log is read newest first, per tenant, optionally narrowed by endpoint, upload or status.
    await q.query(`CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX webhook_deliveries_upload ON webhook_deliveries (upload_id)`);

    await q.query(`
      CREATE TABLE webhook_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        ref text NOT NULL,
        at timestamptz NOT NULL,
        status_code integer,
        latency_ms integer,
        error text,
        response_excerpt text,
        UNIQUE (delivery_id, ref)
      )`);

    // The old endpoint keeps receiving what it always did; the tenant opts into the new types.
    await q.query(`
      INSERT INTO webhook_endpoints (id, tenant_id, url, secret, events, created_at)
      SELECT gen_random_uuid(), id, webhook_url, webhook_secret, '{upload.ready,upload.rejected,upload.failed}', created_at
      FROM tenants WHERE webhook_url IS NOT NULL`);
    // Kept (unused from now on) so processes of the previous release keep working during a rolling
    // deploy; a later migration drops them.
    await q.query(`ALTER TABLE tenants ALTER COLUMN webhook_secret DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Tenants created since have no old-style secret: their oldest endpoint's, or a fresh one.
    await q.query(`
      UPDATE tenants t SET webhook_url = e.url, webhook_secret = e.secret
      FROM (SELECT DISTINCT ON (tenant_id) tenant_id, url, secret FROM webhook_endpoints ORDER BY tenant_id, created_at) e
      WHERE e.tenant_id = t.id AND t.webhook_secret IS NULL`);
    await q.query(`
      UPDATE tenants SET webhook_secret = 'whsec_' || encode(decode(
        replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'), 'base64')
      WHERE webhook_secret IS NULL`);
    await q.query(`ALTER TABLE tenants ALTER COLUMN webhook_secret SET NOT NULL`);
    await q.query(`DROP TABLE webhook_attempts`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_events`);
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
