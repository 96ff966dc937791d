import { log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WebhookDeliveryInput } from './contract';

// One step: every open delivery's attempt, in parallel, each bounded by the consumer's deadline
// (WEBHOOK_TIMEOUT_MS, at most 60 s), plus bookkeeping. The activity's own retries cover only our
// faults (database down, worker lost), and skip attempts already on record; the consumers'
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
 * Delivers one event (`webhook-<webhook-id>`, on the webhooks queue) to each of its endpoints on
 * the retry schedule: wait, attempt every delivery still open in ONE activity (they share the
 * schedule), keep those to retry. A healthy tenant's event costs one activity whatever its
 * endpoint count; a dead endpoint adds one small activity per step. The waits are Temporal
 * timers, so a worker restart or a deploy loses nothing, and an endpoint down for a day costs a
 * sleeping workflow, not a worker slot. A replay is the same workflow with one delivery and a
 * one-attempt schedule.
 */
export async function webhookDeliveryWorkflow({ deliveryIds, scheduleMs, replay }: WebhookDeliveryInput): Promise<void> {
  const { workflowId } = workflowInfo();
  let open = [...deliveryIds];
  for (const [i, delay] of scheduleMs.entries()) {
    if (delay > 0) await sleep(delay);
    const last = i === scheduleMs.length - 1;
    try {
      ({ retry: open } = await attempts.attemptDeliveries({
        deliveryIds: open,
        ref: `${workflowId}#${i + 1}`,
        nextDelayMs: last ? null : scheduleMs[i + 1]!,
        replay,
      }));
    } catch (err) {
      // Our side kept failing this step (database, worker): the next step tries them all again.
      log.warn('webhook attempts could not be made', { deliveryIds: open, attempt: i + 1, error: String(err) });
    }
    if (!open.length) return;
  }
  // Only reached when the last step could not be made: never leave a delivery pending. (A replay
  // leaves the status alone anyway.)
  if (!replay) await bookkeeping.giveUpDeliveries({ deliveryIds: open });
}
