import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { KeysetPosition, positionAt } from '../common/keyset-cursor';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Why a delivery ended without a 2xx, besides running out of attempts (`exhausted`). */
export type DeliveryFailure = 'exhausted' | 'endpoint_disabled' | 'endpoint_gone' | 'url_refused';

/** One event as it happened: the upload's status object then, without its (expiring) download URLs. */
export interface NewWebhookEvent {
  /** The `webhook-id` consumers de-duplicate on: derived from the upload and the event type. */
  id: string;
  tenantId: string;
  uploadId: string;
  type: string;
  payload: Record<string, unknown>;
  /** Output name -> object key: each attempt presigns fresh download URLs for `data.outputs`. */
  outputKeys: Array<{ name: string; key: string }>;
}

export interface AttemptRecord {
  at: Date;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
  /** The first ≤ 1 KB of what the consumer answered. */
  response: string | null;
}

export interface Delivery {
  id: string;
  webhookId: string;
  eventType: string;
  uploadId: string;
  endpointId: string;
  status: DeliveryStatus;
  failureReason: DeliveryFailure | null;
  nextAttemptAt: Date | null;
  /** The latest MAX_LISTED_ATTEMPTS attempts, oldest first; attemptCount counts them all. */
  attempts: AttemptRecord[];
  attemptCount: number;
  createdAt: Date;
}

/** Attempts shown per delivery: replays can add many, and a page must stay small. */
export const MAX_LISTED_ATTEMPTS = 50;

/** What an attempt does to its endpoint's health, in the same transaction. */
export type EndpointHealth = 'healthy' | 'gone' | 'failing';

const ENDPOINT_HEALTH_SQL: Record<EndpointHealth, string> = {
  healthy: `UPDATE webhook_endpoints SET failing_since = NULL, updated_at = now() WHERE id = $1 AND failing_since IS NOT NULL`,
  gone: `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'gone', updated_at = now() WHERE id = $1 AND enabled`,
  failing: `UPDATE webhook_endpoints SET failing_since = now(), updated_at = now() WHERE id = $1 AND failing_since IS NULL`,
};

/** What an attempt needs, in one read: the delivery, its event and its endpoint's current state. */
export interface PendingAttempt {
  deliveryId: string;
  status: DeliveryStatus;
  eventId: string;
  eventType: string;
  eventAt: Date;
  payload: Record<string, unknown>;
  outputKeys: Array<{ name: string; key: string }>;
  uploadId: string;
  /** The upload's status now: a deleted upload's outputs get no download URLs. */
  uploadStatus: string | null;
  tenantId: string;
  endpointId: string;
  url: string;
  enabled: boolean;
  /** The current secret first, then the previous one while its grace lasts. */
  secrets: string[];
}

/** How a recorded attempt leaves its delivery. */
export type DeliveryUpdate =
  | { status: 'succeeded' }
  | { status: 'pending'; nextAttemptAt: Date }
  | { status: 'failed'; reason: DeliveryFailure };

export interface DeliveryFilter {
  endpointId?: string;
  uploadId?: string;
  status?: DeliveryStatus;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  upload_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  failure_reason: DeliveryFailure | null;
  next_attempt_at: Date | null;
  created_at: Date;
  position_at: string;
}

interface AttemptRow {
  delivery_id: string;
  at: Date;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
  response_excerpt: string | null;
}

const DELIVERY_COLUMNS = `d.id, d.event_id, d.event_type, d.upload_id, d.endpoint_id, d.status, d.failure_reason,
  d.next_attempt_at, d.created_at, ${positionAt('d.created_at')} AS position_at`;

/**
 * Webhook events, their deliveries (one per event and endpoint) and every attempt. Writes are
 * idempotent: an event is recorded once by its id, a delivery once per endpoint, an attempt once
 * per `ref` (the workflow's name for it), so an activity that runs twice changes nothing.
 */
@Injectable()
export class WebhookDeliveryStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Records the event and, the first time only, one delivery per enabled endpoint of the tenant
   * that wants its type; an event no endpoint wants is not recorded at all. Returns the event's
   * deliveries (the same ones on every call).
   */
  async recordEvent(event: NewWebhookEvent): Promise<string[]> {
    await this.dataSource.query(
      `WITH targets AS (
         SELECT id, created_at FROM webhook_endpoints
         WHERE tenant_id = $2 AND enabled AND (events IS NULL OR $4 = ANY (events))),
       recorded AS (
         INSERT INTO webhook_events (id, tenant_id, upload_id, type, payload, output_keys)
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM targets)
         ON CONFLICT (id) DO NOTHING RETURNING id)
       INSERT INTO webhook_deliveries (id, event_id, endpoint_id, tenant_id, upload_id, event_type, created_at)
       SELECT gen_random_uuid(), r.id, t.id, $2, $3, $4, clock_timestamp()
       FROM recorded r CROSS JOIN (SELECT id FROM targets ORDER BY created_at, id) t`,
      [event.id, event.tenantId, event.uploadId, event.type, JSON.stringify(event.payload), JSON.stringify(event.outputKeys)],
    );
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM webhook_deliveries WHERE event_id = $1 ORDER BY created_at, id`,
      [event.id],
    );
    return rows.map((r) => r.id);
  }

  /** Everything one attempt needs; null when the delivery is gone (its endpoint was deleted). */
  async pendingAttempt(deliveryId: string): Promise<PendingAttempt | null> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT d.id, d.status, d.tenant_id, d.upload_id, ev.id AS event_id, ev.type, ev.created_at AS event_at,
              ev.payload, ev.output_keys, e.id AS endpoint_id, e.url, e.enabled, e.secret,
              CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous_secret,
              u.status AS upload_status
       FROM webhook_deliveries d
       JOIN webhook_events ev ON ev.id = d.event_id
       JOIN webhook_endpoints e ON e.id = d.endpoint_id
       LEFT JOIN uploads u ON u.id = d.upload_id
       WHERE d.id = $1`,
      [deliveryId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      deliveryId: r.id as string,
      status: r.status as DeliveryStatus,
      eventId: r.event_id as string,
      eventType: r.type as string,
      eventAt: r.event_at as Date,
      payload: r.payload as Record<string, unknown>,
      outputKeys: r.output_keys as PendingAttempt['outputKeys'],
      uploadId: r.upload_id as string,
      uploadStatus: (r.upload_status as string | null) ?? null,
      tenantId: r.tenant_id as string,
      endpointId: r.endpoint_id as string,
      url: r.url as string,
      enabled: r.enabled as boolean,
      secrets: [r.secret as string, ...(r.previous_secret ? [r.previous_secret as string] : [])],
    };
  }

  /** The attempt the workflow calls `ref`, if it was already made (the activity is running again). */
  async findAttempt(deliveryId: string, ref: string): Promise<AttemptRecord | null> {
    const rows: AttemptRow[] = await this.dataSource.query(
      `SELECT delivery_id, at, status_code, latency_ms, error, response_excerpt FROM webhook_attempts
       WHERE delivery_id = $1 AND ref = $2`,
      [deliveryId, ref],
    );
    return rows[0] ? toAttempt(rows[0]) : null;
  }

  /**
   * Records an attempt (once per ref), where it leaves the delivery (`update`; null: unchanged)
   * and the endpoint's health, all in one transaction: a retry of the activity finds the attempt
   * and everything it implied already done. A delivery that succeeded stays succeeded.
   */
  async recordAttempt(
    delivery: { id: string; endpointId: string },
    ref: string,
    attempt: AttemptRecord,
    update: DeliveryUpdate | null,
    health: EndpointHealth | null,
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const inserted: unknown[] = await tx.query(
        `INSERT INTO webhook_attempts (delivery_id, ref, at, status_code, latency_ms, error, response_excerpt)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, ref) DO NOTHING RETURNING id`,
        [delivery.id, ref, attempt.at, attempt.statusCode, attempt.latencyMs, attempt.error, attempt.response],
      );
      if (!inserted.length) return;
      if (update) await this.update(delivery.id, update, tx.query.bind(tx));
      if (health) await tx.query(ENDPOINT_HEALTH_SQL[health], [delivery.endpointId]);
    });
  }

  /** Ends or reschedules a delivery; never one that succeeded (a replay may have got through meanwhile). */
  async update(
    deliveryId: string,
    update: DeliveryUpdate,
    query: (sql: string, params: unknown[]) => Promise<unknown> = (sql, params) => this.dataSource.query(sql, params),
  ): Promise<void> {
    await query(
      `UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, failure_reason = $4, updated_at = now()
       WHERE id = $1 AND status <> 'succeeded'`,
      [
        deliveryId,
        update.status,
        update.status === 'pending' ? update.nextAttemptAt : null,
        update.status === 'failed' ? update.reason : null,
      ],
    );
  }

  /** The schedule ended without the delivery being settled (our side kept failing): it is failed. */
  async endIfPending(deliveryId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'failed', failure_reason = 'exhausted', next_attempt_at = NULL, updated_at = now()
       WHERE id = $1 AND status = 'pending'`,
      [deliveryId],
    );
  }

  async find(tenantId: string, id: string): Promise<Delivery | null> {
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.tenant_id = $1 AND d.id = $2`,
      [tenantId, id],
    );
    if (!rows[0]) return null;
    return toDelivery(rows[0], await this.attemptsOf([id]));
  }

  /** A page of the tenant's deliveries, newest first, after `after`; each with its attempts. */
  async listPage(
    tenantId: string,
    filter: DeliveryFilter,
    after: KeysetPosition | undefined,
    limit: number,
  ): Promise<Array<{ delivery: Delivery; position: KeysetPosition }>> {
    const where = ['d.tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.endpointId) add('d.endpoint_id = ?', filter.endpointId);
    if (filter.uploadId) add('d.upload_id = ?', filter.uploadId);
    if (filter.status) add('d.status = ?', filter.status);
    if (after) {
      params.push(after.at, after.id);
      where.push(`(d.created_at, d.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit);
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE ${where.join(' AND ')}
       ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.length}`,
      params,
    );
    const attempts = await this.attemptsOf(rows.map((r) => r.id));
    return rows.map((row) => ({ delivery: toDelivery(row, attempts), position: { at: row.position_at, id: row.id } }));
  }

  /** The latest attempts of several deliveries in one query, oldest first, with each one's total. */
  private async attemptsOf(deliveryIds: string[]): Promise<Map<string, { attempts: AttemptRecord[]; count: number }>> {
    const byDelivery = new Map(deliveryIds.map((id) => [id, { attempts: [] as AttemptRecord[], count: 0 }]));
    if (!deliveryIds.length) return byDelivery;
    const rows: Array<AttemptRow & { total: string }> = await this.dataSource.query(
      `SELECT delivery_id, at, status_code, latency_ms, error, response_excerpt, total FROM (
         SELECT a.*, row_number() OVER (PARTITION BY delivery_id ORDER BY at DESC, id DESC) AS newest,
                count(*) OVER (PARTITION BY delivery_id) AS total
         FROM webhook_attempts a WHERE delivery_id = ANY ($1::uuid[])) x
       WHERE newest <= $2 ORDER BY at, id`,
      [deliveryIds, MAX_LISTED_ATTEMPTS],
    );
    for (const row of rows) {
      const entry = byDelivery.get(row.delivery_id);
      if (!entry) continue;
      entry.attempts.push(toAttempt(row));
      entry.count = Number(row.total);
    }
    return byDelivery;
  }
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    at: row.at,
    statusCode: row.status_code,
    latencyMs: row.latency_ms,
    error: row.error,
    response: row.response_excerpt,
  };
}

function toDelivery(row: DeliveryRow, attempts: Map<string, { attempts: AttemptRecord[]; count: number }>): Delivery {
  const listed = attempts.get(row.id);
  return {
    id: row.id,
    webhookId: row.event_id,
    eventType: row.event_type,
    uploadId: row.upload_id,
    endpointId: row.endpoint_id,
    status: row.status,
    failureReason: row.failure_reason,
    nextAttemptAt: row.next_attempt_at,
    attempts: listed?.attempts ?? [],
    attemptCount: listed?.count ?? 0,
    createdAt: row.created_at,
  };
}
