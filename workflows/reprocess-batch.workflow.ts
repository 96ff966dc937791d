import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReprocessBatchInput } from './contract';

/**
 * Reruns in flight at once. The next ones start only when these have ended: each rerun's workflow
 * tasks and bookkeeping run on the live uploads queue (only its heavy work waits on the backfill
 * queue), so a batch of thousands started at once would queue thousands of tasks there.
 */
export const RERUN_WINDOW = 10;
/** Windows per run before continue-as-new, so a batch of any size keeps a short history. */
const WINDOWS_PER_RUN = 20;
/** How often a window is looked at until its reruns have ended. */
const RECHECK = '10 seconds';

const paging = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * A bulk rerun (POST /v1/admin/uploads/reprocess): pages through the matching uploads, oldest first,
 * RERUN_WINDOW at a time, and starts each one's rerun with `backfill`, so its heavy work waits on
 * TASK_QUEUES.backfill (a few slots per worker) and never in front of live uploads; the next window
 * starts once this one's reruns have ended.
 */
export async function reprocessBatchWorkflow(input: ReprocessBatchInput): Promise<{ started: number }> {
  let { after, started = 0 } = input;
  for (let window = 0; window < WINDOWS_PER_RUN; window++) {
    const result = await paging.startRerunPage({ filter: input.filter, after, limit: RERUN_WINDOW });
    started += result.started;
    for (let running = result.ids; running.length > 0; running = await paging.runningReruns({ uploadIds: running })) await sleep(RECHECK);
    if (!result.next) return { started };
    after = result.next;
  }
  return continueAsNew<typeof reprocessBatchWorkflow>({ ...input, after, started });
}
