import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReprocessBatchInput } from './contract';

/** Uploads listed and started per activity; starting is one Temporal call each. */
const PAGE_SIZE = 100;
/** Pages per run before continue-as-new, so a batch of any size keeps a short history. */
const PAGES_PER_RUN = 50;

const paging = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * A bulk rerun (POST /v1/admin/uploads/reprocess): pages through the matching uploads, oldest first,
 * and starts each one's rerun with `backfill`, so its heavy work waits on TASK_QUEUES.backfill and
 * never in front of live uploads. Starting is cheap; the backfill queue's slots do the throttling.
 */
export async function reprocessBatchWorkflow(input: ReprocessBatchInput): Promise<{ started: number }> {
  let { after, started = 0 } = input;
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const result = await paging.startRerunPage({ filter: input.filter, after, limit: PAGE_SIZE });
    started += result.started;
    if (!result.next) return { started };
    after = result.next;
  }
  return continueAsNew<typeof reprocessBatchWorkflow>({ ...input, after, started });
}
