import { Context } from '@temporalio/activity';
import type { StepInput } from '../src/webhooks/delivery-attempts';
import type { WebhookEvent } from '../workflows/contract';
import type { ActivityDeps } from './deps';

/**
 * Step 6 and after: an upload's change becomes a webhook event, delivered to each of the tenant's
 * endpoints by its own workflow (workflows/webhook-delivery.workflow.ts) on the webhooks queue, so
 * no consumer can slow the upload down.
 */
export function notifyActivities({ webhookEvents, deliveryAttempts }: ActivityDeps) {
  /** `generation`: set by admin reruns, whose events are new ones (see webhookIdFor). */
  async function publishEvent({ uploadId, event, generation }: { uploadId: string; event: WebhookEvent; generation?: number }) {
    const published = await webhookEvents.publish(uploadId, event, generation);
    Context.current().log.info('webhook event published', { uploadId, event, ...published });
    return published;
  }

  return {
    publishEvent,

    /**
     * The step's name before durable delivery: workflows that were already running call it on
     * their old code path. It now publishes like publishEvent.
     */
    async notifyTenant(input: { uploadId: string; event: WebhookEvent }): Promise<{ delivered: boolean }> {
      const { deliveries } = await publishEvent(input);
      return { delivered: deliveries > 0 };
    },

    /** One step of an event's schedule: an attempt of each open delivery, on the webhooks queue. */
    async attemptDeliveries(input: StepInput): Promise<{ retry: string[] }> {
      return deliveryAttempts.attemptAll(input, Context.current().log);
    },

    /** The schedule ended with deliveries still pending (our side failed their last attempts). */
    async giveUpDeliveries({ deliveryIds }: { deliveryIds: string[] }): Promise<void> {
      for (const deliveryId of deliveryIds) await deliveryAttempts.giveUp(deliveryId);
    },
  };
}
