import { Context } from '@temporalio/activity';
import type { AttemptInput, AttemptOutcome } from '../src/webhooks/delivery-attempts';
import type { WebhookEvent } from '../workflows/contract';
import type { ActivityDeps } from './deps';

/**
 * Step 6 and after: an upload's change becomes a webhook event, delivered to each of the tenant's
 * endpoints by its own workflow (workflows/webhook-delivery.workflow.ts) on the webhooks queue, so
 * no consumer can slow the upload down.
 */
export function notifyActivities({ webhookEvents, deliveryAttempts }: ActivityDeps) {
  async function publishEvent({ uploadId, event }: { uploadId: string; event: WebhookEvent }) {
    const published = await webhookEvents.publish(uploadId, event);
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

    /** One attempt of one delivery, on the webhooks queue. */
    async attemptDelivery(input: AttemptInput): Promise<AttemptOutcome> {
      return deliveryAttempts.attempt(input, Context.current().log);
    },

    /** The schedule ended and the delivery is still pending (our side failed its attempts). */
    async giveUpDelivery({ deliveryId }: { deliveryId: string }): Promise<void> {
      await deliveryAttempts.giveUp(deliveryId);
    },
  };
}
