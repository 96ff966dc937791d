import { createDataSource } from '../../src/database/data-source';

export interface EndpointLog {
  /** `status` or `status/failure_reason` -> deliveries. */
  deliveries: Record<string, number>;
  attempts: number;
  /** Deliveries still pending, by how many attempts they have had. */
  pendingByAttempts: Record<string, number>;
}

/** Where a delivery's time went, ms, over a tenant's successful attempts (p50 and p99 each). */
export interface AttemptTiming {
  /** Event created -> its attempt began (workflow start, activity dispatch, reading the delivery). */
  waitP50: number;
  waitP99: number;
  /** The POST itself, as the worker timed it. */
  sendP50: number;
  sendP99: number;
}

/** What Intake recorded about the bench's deliveries, read from its database afterwards. */
export async function readDeliveryLog(databaseUrl: string, deadEndpointId: string, tenantIds: string[]) {
  const db = await createDataSource(databaseUrl, 1).initialize();
  try {
    const statuses: Array<{ status: string; failure_reason: string | null; count: string }> = await db.query(
      `SELECT status, failure_reason, count(*) FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY 1, 2`,
      [deadEndpointId],
    );
    const pending: Array<{ attempts: string; count: string }> = await db.query(
      `SELECT attempts, count(*) FROM (
         SELECT d.id, count(a.delivery_id) AS attempts FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id
         WHERE d.endpoint_id = $1 AND d.status = 'pending' GROUP BY d.id) per GROUP BY 1 ORDER BY 1`,
      [deadEndpointId],
    );
    const [total]: Array<{ count: string }> = await db.query(
      `SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1`,
      [deadEndpointId],
    );
    const deliveries: Record<string, number> = {};
    for (const r of statuses) deliveries[r.failure_reason ? `${r.status}/${r.failure_reason}` : r.status] = Number(r.count);
    const dead: EndpointLog = {
      deliveries,
      attempts: Number(total!.count),
      pendingByAttempts: Object.fromEntries(pending.map((r) => [r.attempts, Number(r.count)])),
    };

    const timings: AttemptTiming[] = [];
    for (const tenantId of tenantIds) {
      const [t]: Array<Record<keyof AttemptTiming, number>> = await db.query(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS "waitP50", percentile_cont(0.99) WITHIN GROUP (ORDER BY wait) AS "waitP99",
                percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS "sendP50", percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS "sendP99"
         FROM (SELECT extract(epoch FROM a.at - e.created_at) * 1000 AS wait, a.latency_ms
               FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id JOIN webhook_events e ON e.id = d.event_id
               WHERE d.tenant_id = $1 AND a.status_code BETWEEN 200 AND 299) ok`,
        [tenantId],
      );
      timings.push({ waitP50: Number(t!.waitP50), waitP99: Number(t!.waitP99), sendP50: Number(t!.sendP50), sendP99: Number(t!.sendP99) });
    }
    return { dead, timings };
  } finally {
    await db.destroy();
  }
}
