import { Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';

/** Tenants outside the top N by upload count share this label, so a tenant count never grows the series. */
export const OTHER_TENANTS = 'other';

// Counted per status for the top tenants by total; every other tenant's uploads are folded into 'other'.
const UPLOADS_BY_STATUS_AND_TENANT = `
  WITH counts AS (SELECT tenant_id, status, count(*) AS n FROM uploads GROUP BY tenant_id, status),
       top AS (SELECT tenant_id FROM counts GROUP BY tenant_id ORDER BY sum(n) DESC, tenant_id LIMIT $1)
  SELECT CASE WHEN top.tenant_id IS NULL THEN '${OTHER_TENANTS}' ELSE counts.tenant_id::text END AS tenant,
         counts.status, sum(counts.n)::bigint AS n
  FROM counts LEFT JOIN top USING (tenant_id)
  GROUP BY 1, 2`;

const ENDPOINTS_BY_STATE = `
  SELECT CASE WHEN NOT enabled THEN 'disabled' WHEN failing_since IS NOT NULL THEN 'failing' ELSE 'healthy' END AS state,
         count(*)::bigint AS n
  FROM webhook_endpoints GROUP BY 1`;

/**
 * Gauges read from PostgreSQL when Prometheus scrapes, not kept in memory: every API instance
 * answers the same numbers (aggregate with max, not sum). A failed query leaves the gauge empty
 * for that scrape rather than failing the whole scrape.
 */
export function registerStoreGauges(registry: Registry, db: DataSource, topTenants: number): void {
  new Gauge({
    name: 'intake_uploads',
    help: `Uploads by status and tenant id (the top ${topTenants} tenants by count; the rest as "${OTHER_TENANTS}")`,
    labelNames: ['status', 'tenant'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.query(UPLOADS_BY_STATUS_AND_TENANT, [topTenants]).catch(() => []);
      for (const row of rows as Array<{ tenant: string; status: string; n: string }>) {
        this.set({ status: row.status, tenant: row.tenant }, Number(row.n));
      }
    },
  });
  new Gauge({
    name: 'intake_webhook_endpoints',
    help: 'Webhook endpoints by state: healthy, failing (a delivery ran out of attempts since the last success) or disabled',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.query(ENDPOINTS_BY_STATE).catch(() => []);
      for (const state of ['healthy', 'failing', 'disabled']) this.set({ state }, 0);
      for (const row of rows as Array<{ state: string; n: string }>) this.set({ state: row.state }, Number(row.n));
    },
  });
}
