import { log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WebhookDeliveryInput } from './contract';

// One attempt: the consumer's deadline (WEBHOOK_TIMEOUT_MS, at most 60 s) plus bookkeeping. The
// activity's own retries cover only our faults (database down, worker lost); the consumer's
// failures are answered by the schedule below, never by retrying the activity.
const attempts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

// Settling a delivery our side could not attempt: bookkeeping that must not give up.
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Delivers one event (`webhook-<webhook-id>`, on the webhooks queue) to each of its endpoints, each
 * on its own schedule: wait, attempt, and stop once delivered or ended (410 Gone, endpoint
 * disabled). The waits are Temporal timers, so a worker restart or a deploy loses nothing, and an
 * endpoint down for a day costs a sleeping workflow, not a worker slot. A replay is the same
 * workflow with one delivery and a one-attempt schedule.
 */
export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<void> {
  await Promise.all(input.deliveryIds.map((deliveryId) => deliverOnSchedule(deliveryId, input)));
}

async function deliverOnSchedule(deliveryId: string, { scheduleMs, replay }: WebhookDeliveryInput): Promise<void> {
  const { workflowId } = workflowInfo();
  for (const [i, delay] of scheduleMs.entries()) {
    if (delay > 0) await sleep(delay);
    const last = i === scheduleMs.length - 1;
    try {
      const { next } = await attempts.attemptDelivery({
        deliveryId,
        ref: `${workflowId}#${i + 1}`,
        nextDelayMs: last ? null : scheduleMs[i + 1]!,
        replay,
      });
      if (next === 'done') return;
    } catch (err) {
      // Our side kept failing for this attempt (database, worker): the next scheduled one tries again.
      log.warn('webhook attempt could not be made', { deliveryId, attempt: i + 1, error: String(err) });
    }
  }
  // Only reached when the last attempt could not be made: never leave the delivery pending. (A
  // replay leaves the status alone anyway.)
  if (!replay) await bookkeeping.giveUpDelivery({ deliveryId });
}
