import { createDataSource } from '../../src/database/data-source';

export interface EndpointLog {
  /** `status` or `status/failure_reason` -> deliveries. */
  deliveries: Record<string, number>;
  attempts: number;
  /** The earliest attempt still scheduled, if any. */
  nextAttemptAt: Date | null;
}

/** What Intake recorded for one endpoint's deliveries, read from its database. */
export async function readEndpointLog(databaseUrl: string, endpointId: string): Promise<EndpointLog> {
  const db = await createDataSource(databaseUrl, 1).initialize();
  try {
    const statuses: Array<{ status: string; failure_reason: string | null; count: string }> = await db.query(
      `SELECT status, failure_reason, count(*) FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY 1, 2`,
      [endpointId],
    );
    const [totals]: Array<{ attempts: string; next: Date | null }> = await db.query(
      `SELECT (SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1) AS attempts,
              (SELECT min(next_attempt_at) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending') AS next`,
      [endpointId],
    );
    const deliveries: Record<string, number> = {};
    for (const r of statuses) deliveries[r.failure_reason ? `${r.status}/${r.failure_reason}` : r.status] = Number(r.count);
    return { deliveries, attempts: Number(totals!.attempts), nextAttemptAt: totals!.next };
  } finally {
    await db.destroy();
  }
}
