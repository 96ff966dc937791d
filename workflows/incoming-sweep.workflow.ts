import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';

const storage = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export interface IncomingSweepInput {
  uploadId: string;
  /** When to look: the upload URL's expiry plus a grace period (INCOMING_SWEEP_GRACE_MS). */
  sweepAt: string;
}

/** A PUT signed just before expiry may still be in flight when the URL expires: allow it to land. */
export const INCOMING_SWEEP_GRACE_MS = 60_000;
/** An upload still processing when its URL died is looked at again this much later. */
const RECHECK_MS = 60 * 60_000;

/**
 * Waits until the upload URL is dead, then deletes anything a client PUT to it after the upload
 * ended. While the upload is still being processed the incoming key is left alone (verify may not
 * have copied it yet): finishing deletes it then, and this looks again later.
 */
export async function incomingSweepWorkflow({ uploadId, sweepAt }: IncomingSweepInput): Promise<void> {
  const wait = Date.parse(sweepAt) - Date.now();
  if (wait > 0) await sleep(wait);
  while (!(await storage.deleteIncoming({ uploadId })).deleted) await sleep(RECHECK_MS);
}
