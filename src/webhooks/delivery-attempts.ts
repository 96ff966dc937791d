import { Inject, Injectable, Optional } from '@nestjs/common';
import { AppConfig, CONFIG } from '../config/config';
import { WORKER_METRICS } from '../observability/metrics/metrics.tokens';
import type { WorkerMetrics } from '../observability/metrics/worker-metrics';
import { OutputLinks } from '../outputs/output-links';
import { DeliveryUpdate, EndpointHealth, PendingAttempt, WebhookDeliveryStore } from './delivery-store';
import { SendResult, WebhookSender } from './webhook-sender';

export interface AttemptInput {
  deliveryId: string;
  /** The workflow's name for this attempt: an activity that runs again finds its attempt on record. */
  ref: string;
  /** Delay before the next scheduled attempt; null: this is the last. */
  nextDelayMs: number | null;
  /**
   * A replay: sent whatever the delivery's status; its failure only adds to the log (the status,
   * and the endpoint's health, stay; a 410 still disables the endpoint).
   */
  replay?: boolean;
}

/** One step of an event's schedule: the same attempt (ref) of each of its open deliveries. */
export interface StepInput {
  deliveryIds: string[];
  ref: string;
  nextDelayMs: number | null;
  replay?: boolean;
}

/** `retry`: wait for the next scheduled attempt; `done`: the delivery has ended (either way). */
export type AttemptOutcome = { next: 'retry' | 'done'; status: DeliveryUpdate['status'] };

/** Where one attempt's result leaves its delivery: pure, so the rules read (and test) in one place. */
export function afterAttempt(result: SendResult, nextDelayMs: number | null, now: Date): DeliveryUpdate {
  if (result.ok) return { status: 'succeeded' };
  // 410 Gone: the consumer asks for no more deliveries (the endpoint is disabled until re-enabled).
  if (result.status === 410) return { status: 'failed', reason: 'endpoint_gone' };
  // The URL itself is not allowed (a private IP literal): no later attempt can be allowed either.
  if (result.refused && result.permanent) return { status: 'failed', reason: 'url_refused' };
  if (nextDelayMs === null) return { status: 'failed', reason: 'exhausted' };
  return { status: 'pending', nextAttemptAt: new Date(now.getTime() + nextDelayMs) };
}

/** What an attempt's outcome does to the endpoint: heals it, disables it (410), or marks it failing. */
export function healthAfter(update: DeliveryUpdate, replay: boolean): EndpointHealth | null {
  if (update.status === 'succeeded') return 'healthy';
  if (update.status !== 'failed') return null;
  if (update.reason === 'endpoint_gone') return 'gone';
  return update.reason === 'exhausted' && !replay ? 'failing' : null;
}

export interface AttemptLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

/**
 * One delivery attempt (the workflow schedules them): reads the delivery, its event and endpoint
 * as they are now, signs with every live secret, sends through the outbound guard, and records the
 * attempt with where it leaves the delivery and the endpoint's health.
 */
@Injectable()
export class DeliveryAttempts {
  private readonly sender: WebhookSender;

  constructor(
    @Inject(WebhookDeliveryStore) private readonly deliveries: WebhookDeliveryStore,
    @Inject(OutputLinks) private readonly links: OutputLinks,
    @Inject(CONFIG) config: AppConfig,
    @Optional() @Inject(WORKER_METRICS) private readonly metrics: WorkerMetrics | null = null,
  ) {
    this.sender = WebhookSender.fromConfig(config);
  }

  /**
   * Attempts every delivery of the step at once; answers those to retry at the next step. If any
   * attempt could not be made (our side failed), it throws after all have run, so the activity
   * is retried: attempts already on record are not made again.
   */
  async attemptAll({ deliveryIds, ...step }: StepInput, log: AttemptLog): Promise<{ retry: string[] }> {
    const settled = await Promise.allSettled(deliveryIds.map((deliveryId) => this.attempt({ deliveryId, ...step }, log)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return {
      retry: deliveryIds.filter((_, i) => (settled[i] as PromiseFulfilledResult<AttemptOutcome>).value.next === 'retry'),
    };
  }

  async attempt(input: AttemptInput, log: AttemptLog): Promise<AttemptOutcome> {
    const pending = await this.deliveries.pendingAttempt(input.deliveryId);
    // Its endpoint was deleted (and its deliveries with it).
    if (!pending) return { next: 'done', status: 'failed' };
    const fields = { deliveryId: pending.deliveryId, webhookId: pending.eventId, endpointId: pending.endpointId, uploadId: pending.uploadId, tenantId: pending.tenantId };

    // This attempt was made already (the activity is running again): its record says how it went.
    if (await this.deliveries.findAttempt(pending.deliveryId, input.ref)) return outcomeOf(pending.status);
    // Delivered meanwhile (a replay got through): nothing more to send. A replay sends regardless.
    if (pending.status === 'succeeded' && !input.replay) return outcomeOf('succeeded');
    if (!pending.enabled) {
      await this.deliveries.update(pending.deliveryId, { status: 'failed', reason: 'endpoint_disabled' });
      log.info('webhook not sent: endpoint disabled', fields);
      return outcomeOf('failed');
    }

    const at = new Date();
    const result = await this.sender.send({ id: pending.eventId, url: pending.url, secrets: pending.secrets, body: await this.body(pending) });
    const update = afterAttempt(result, input.nextDelayMs, at);
    const replayFailed = input.replay && update.status !== 'succeeded' && !(update.status === 'failed' && update.reason === 'endpoint_gone');
    await this.deliveries.recordAttempt(
      { id: pending.deliveryId, endpointId: pending.endpointId },
      input.ref,
      { at, statusCode: result.status, latencyMs: result.latencyMs, error: result.error, response: result.response },
      replayFailed ? null : update,
      healthAfter(update, input.replay ?? false),
    );

    this.metrics?.webhookAttempt(update.status === 'succeeded' ? 'delivered' : update.status === 'pending' ? 'will_retry' : 'failed');
    const about = { ...fields, ref: input.ref, status: result.status, latencyMs: result.latencyMs, outcome: update.status };
    if (result.ok) log.info('webhook delivered', about);
    // Resolved addresses and ports (logFields) go to our log only, never to the delivery log.
    else log.warn('webhook attempt failed', { ...about, error: result.error, ...result.logFields });
    return outcomeOf(update.status);
  }

  /** The schedule ran out without settling the delivery (our side kept failing): it is failed. */
  async giveUp(deliveryId: string): Promise<void> {
    await this.deliveries.endIfPending(deliveryId);
  }

  /** `{type, timestamp, data}`: the event as recorded, with download URLs signed for this attempt. */
  private async body(pending: PendingAttempt): Promise<unknown> {
    // A deleted upload's outputs are gone (or about to be): no links to them.
    const keys = new Map(pending.uploadStatus === 'deleted' ? [] : pending.outputKeys.map((o) => [o.name, o.key]));
    const outputs = (pending.payload.outputs as Array<{ name: string }> | undefined) ?? [];
    const signed = await Promise.all(
      outputs.map(async (o) => {
        const key = keys.get(o.name);
        return key ? { ...o, url: await this.links.urlFor(pending.uploadId, { name: o.name, objectKey: key }) } : o;
      }),
    );
    return { type: pending.eventType, timestamp: pending.eventAt.toISOString(), data: { ...pending.payload, outputs: signed } };
  }
}

function outcomeOf(status: DeliveryUpdate['status']): AttemptOutcome {
  return { next: status === 'pending' ? 'retry' : 'done', status };
}
