import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';

const storage = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export interface IncomingSweepInput {
  uploadId: string;
  /** When the upload URL stops working (its expiresAt). */
  sweepAt: string;
}

/** Waits until the upload URL is dead, then deletes anything a client PUT to it after the upload ended. */
export async function incomingSweepWorkflow({ uploadId, sweepAt }: IncomingSweepInput): Promise<void> {
  const wait = Date.parse(sweepAt) - Date.now();
  // A PUT signed just before expiry may still be in flight when the URL expires: allow it to land.
  if (wait > 0) await sleep(wait + 60_000);
  await storage.deleteIncoming({ uploadId });
}
