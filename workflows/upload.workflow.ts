import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  REJECTION_CODES,
  TASK_QUEUES,
  TerminalStatus,
  UploadWorkflowInput,
  UploadWorkflowResult,
  WebhookEvent,
  uploadCompletedSignal,
} from './contract';

// Milliseconds of work (a HEAD, a 4 KB range read, one-row updates): run inside the workflow task
// as local activities, which saves a server round trip per step. Still retried, still idempotent.
const quick = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

// Recording the outcome must not give up: a long database outage would otherwise leave the upload
// stuck in `processing`. Unlimited attempts, backing off to a minute.
const bookkeeping = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// Scanning streams the whole object; clamd being down is retried for ~15 minutes, never skipped.
const scanning = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

const media = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

// Long video jobs heartbeat; a worker that dies stops heartbeating and another picks the job up.
const transcoding = proxyActivities<Activities>({
  taskQueue: TASK_QUEUES.transcode,
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
});

// Webhook endpoints go down; keep trying with backoff for about a day.
const delivery = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 30 },
});

export async function uploadWorkflow(input: UploadWorkflowInput): Promise<UploadWorkflowResult> {
  const { uploadId } = input;
  let completed = false;
  setHandler(uploadCompletedSignal, () => {
    completed = true;
  });

  // Durable timer: the bytes must arrive before expiresAt (Date.now() is workflow time here).
  const waitMs = Math.max(1, Date.parse(input.expiresAt) - Date.now());
  if (!(await condition(() => completed, waitMs))) {
    await bookkeeping.expireUpload({ uploadId });
    return { status: 'expired', error: { code: 'UPLOAD_EXPIRED', message: 'No upload was completed before expiresAt' } };
  }

  let outcome: ProcessedOutcome;
  try {
    const { kind } = await quick.verifyUpload({ uploadId });
    await scanning.scanUpload({ uploadId });
    if (kind !== 'document') await media.extractMetadata({ uploadId });
    if (kind === 'image') {
      await media.processImage({ uploadId });
      await media.createThumbnail({ uploadId });
    } else if (kind === 'video') {
      await transcoding.transcodeVideo({ uploadId });
      await media.createThumbnail({ uploadId });
    }
    outcome = { status: 'ready', error: null };
  } catch (err) {
    outcome = toOutcome(err);
  }

  await bookkeeping.finishUpload({ uploadId, status: outcome.status, error: outcome.error });
  await notify(uploadId, outcome.status);
  return outcome;
}

type ProcessedOutcome = UploadWorkflowResult & { status: Exclude<TerminalStatus, 'expired'> };

function toOutcome(err: unknown): ProcessedOutcome {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type && REJECTION_CODES.has(cause.type)) {
    return { status: 'rejected', error: { code: cause.type, message: cause.message } };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { status: 'failed', error: { code: 'PROCESSING_FAILED', message } };
}

async function notify(uploadId: string, status: TerminalStatus): Promise<void> {
  if (status === 'expired') return;
  const event: WebhookEvent = `upload.${status}`;
  try {
    await delivery.notifyTenant({ uploadId, event });
  } catch (err) {
    // The upload's own outcome stands; an unreachable endpoint must not turn `ready` into `failed`.
    log.warn('webhook delivery gave up', { uploadId, event, error: String(err) });
  }
}
