import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  TimeoutFailure,
  condition,
  isCancellation,
  log,
  patched,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import { TimeoutType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { LocalStepInput } from '../activities/support';
import type { MediaKind } from '../src/database/entities/upload.entity';
import {
  REJECTION_CODES,
  TASK_QUEUES,
  TerminalStatus,
  UploadWorkflowInput,
  UploadWorkflowResult,
  WORKSPACE_LOST,
  WebhookEvent,
  OutputName,
  incomingSweepWorkflowIdFor,
  uploadCompletedSignal,
  uploadProgressQuery,
  type UploadProgress,
} from './contract';
import { INCOMING_SWEEP_GRACE_MS, incomingSweepWorkflow } from './incoming-sweep.workflow';
import { type PipelineOptions, rerunUpload } from './upload-rerun';
import { isSegmentPlan, transcodeInSegments } from './video-segments';
import { UploadVisibility, summarizedActivities, summarizedLocalActivities } from './visibility';

// Recording the outcome must not give up: a long database outage would otherwise leave the upload
// stuck in `processing`. Unlimited attempts, backing off to a minute. Milliseconds of work, so it
// runs inside the workflow task as a local activity.
const bookkeeping = summarizedLocalActivities({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// Verify reads a few KB and copies the object server-side (seconds for gigabytes).
const verifying = summarizedActivities({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

// Recording an event and starting its delivery: milliseconds against our own database and
// Temporal, so like bookkeeping it runs inside the workflow task and never gives up. Delivery
// itself (and every consumer's failure) happens in the event's own workflow on the webhooks queue.
const publishing = summarizedLocalActivities({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// Before durable webhooks: one activity delivered, retried by Temporal. Only workflows that were
// already running take this path (see DURABLE_WEBHOOKS).
const delivery = summarizedActivities({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 30 },
});

/**
 * Workflows started before this change neither announce `upload.processing` nor `upload.expired`
 * and notify through `notifyTenant`; patched() keeps them on that path when they replay.
 */
const DURABLE_WEBHOOKS = 'durable-webhooks';

// One HEAD per look, inside the workflow task (a local activity adds one marker, not an activity's
// events, to a history that may hold two thousand looks over a 7-day window). A failed look is
// retried briefly, then it is just no news.
const arrivalChecks = summarizedLocalActivities({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
});
const ARRIVAL_POLL_FIRST_MS = 5_000;
const ARRIVAL_POLL_MAX_MS = 5 * 60_000;

/** How many workers may take an upload on before it is failed (each loss costs a download). */
const MAX_WORKERS_PER_UPLOAD = 3;

/**
 * The one read of the original, on the shared queue of the upload's kind (video has its own pool).
 * Scanning streams the whole object; clamd being down is retried for ~15 minutes, never skipped. It
 * heartbeats while it waits for a workspace and for clamd's verdict.
 */
function ingestOn(kind: MediaKind, taskQueue: string | undefined = kind === 'video' ? TASK_QUEUES.transcode : undefined) {
  return summarizedActivities({
    ...(taskQueue ? { taskQueue } : {}),
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
  });
}

/**
 * The steps that read the local copy, on the queue of the one worker that holds it. That worker
 * polls its queue with free slots for every upload it holds, so a step that is not picked up
 * within the schedule-to-start timeout means the worker is gone.
 */
function onWorker(taskQueue: string) {
  const here = { taskQueue, scheduleToStartTimeout: '30 seconds' } as const;
  return {
    media: summarizedActivities({
      ...here,
      startToCloseTimeout: '10 minutes',
      heartbeatTimeout: '30 seconds',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
    }),
    // Long video jobs heartbeat; a worker that dies stops heartbeating within 20 s.
    transcoding: summarizedActivities({
      ...here,
      startToCloseTimeout: '6 hours',
      heartbeatTimeout: '20 seconds',
      retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
    }),
    release: summarizedActivities({ ...here, startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } }),
  };
}

export async function uploadWorkflow(input: UploadWorkflowInput): Promise<UploadWorkflowResult> {
  const { uploadId } = input;
  let etag: string | undefined;
  setHandler(uploadCompletedSignal, (completed) => {
    etag ??= completed?.etag;
  });
  const progress: UploadProgress = { stage: 'awaiting_upload', progress: 0, segmentsDone: 0, segmentsTotal: 0 };
  setHandler(uploadProgressQuery, () => ({ ...progress }));
  const visibility = new UploadVisibility(input, progress);
  // An admin rerun of an upload that ended: no arrival, no verify (workflows/upload-rerun.ts).
  if (input.rerun) return rerunUpload(input, input.rerun, visibility, { process: processUpload, outcomeOf: toOutcome });
  const expiresAt = Date.parse(input.expiresAt);
  // Started now, so its start costs the pipeline nothing: it acts only once the URL is dead.
  const sweeper = startIncomingSweeper(uploadId, expiresAt);

  // Durable timer: the bytes must arrive before expiresAt (Date.now() is workflow time here).
  const signalled = () => etag !== undefined;
  const arrived =
    input.mode === 'post'
      ? await pollForFormUpload(uploadId, expiresAt, signalled, (found) => (etag ??= found))
      : await condition(signalled, Math.max(1, expiresAt - Date.now()));
  const durableWebhooks = patched(DURABLE_WEBHOOKS);
  if (!arrived) {
    const expired: UploadWorkflowResult = { status: 'expired', error: { code: 'UPLOAD_EXPIRED', message: 'No upload was completed before expiresAt' } };
    visibility.finished(expired);
    await bookkeeping.expireUpload({ uploadId });
    if (durableWebhooks) await publishing.publishEvent({ uploadId, event: 'upload.expired' });
    await sweeper;
    return expired;
  }

  // Recorded before verify starts, so the event shows the upload as `processing`; delivery happens
  // elsewhere, so processing never waits for a consumer.
  if (durableWebhooks) await publishing.publishEvent({ uploadId, event: 'upload.processing' });
  let outcome: ProcessedOutcome;
  try {
    visibility.enter('verifying');
    const { kind } = await verifying.verifyUpload({ uploadId, etag: etag! });
    visibility.verified(kind);
    await processUpload(uploadId, kind, input.outputs, visibility);
    outcome = { status: 'ready', error: null };
  } catch (err) {
    if (isCancellation(err)) {
      // Deleted mid-processing: nothing more runs (the deletion workflow cleans up and announces it).
      visibility.cancelled();
      throw err;
    }
    outcome = toOutcome(err);
  }
  visibility.finished(outcome);

  await bookkeeping.finishUpload({ uploadId, status: outcome.status, error: outcome.error });
  await sweeper;
  if (durableWebhooks) {
    await publishing.publishEvent({ uploadId, event: `upload.${outcome.status}` });
  } else {
    await notify(uploadId, outcome.status);
  }
  return outcome;
}

/**
 * A form (`post`) upload has no `complete` call. The storage's notification signals like complete
 * does, and besides that the workflow looks for the object itself, backing off from 5 s to 5 min
 * and never past expiresAt: this works with any S3 and when notifications are lost. The last look
 * is at expiresAt. True once the bytes are known (`found` receives a polled ETag).
 */
async function pollForFormUpload(
  uploadId: string,
  expiresAt: number,
  signalled: () => boolean,
  found: (etag: string) => void,
): Promise<boolean> {
  for (let delay = ARRIVAL_POLL_FIRST_MS; ; delay = Math.min(delay * 2, ARRIVAL_POLL_MAX_MS)) {
    const remaining = expiresAt - Date.now();
    if (remaining <= 0) return signalled();
    if (await condition(signalled, Math.min(delay, remaining))) return true;
    try {
      const arrival = await arrivalChecks.checkArrival({ uploadId });
      if (arrival) {
        found(arrival.etag);
        return true;
      }
    } catch (err) {
      // Storage down for a moment: the next look (or the notification) will do.
      log.warn('could not look for the uploaded object', { uploadId, error: String(err) });
    }
  }
}

/** Everything after verify: the steps on one worker, then a video's segments. */
async function processUpload(
  uploadId: string,
  kind: MediaKind,
  outputs: UploadWorkflowInput['outputs'],
  visibility: UploadVisibility,
  options: PipelineOptions = {},
): Promise<void> {
  const last = await processOnOneWorker(uploadId, kind, outputs, options);
  if (isSegmentPlan(last)) await transcodeInSegments(uploadId, last, outputs, visibility);
}

type Worker = ReturnType<typeof onWorker>;
type Step = (worker: Worker, input: LocalStepInput) => Promise<unknown>;

/**
 * The steps after ingest for each kind, all on the worker holding the local copy; `outputs` (the
 * tenant's policy) leaves out renditions it does not want.
 */
function stepsFor(kind: MediaKind, outputs?: UploadWorkflowInput['outputs'], skipMetadata = false): Step[] {
  // A retry skips metadata that is already recorded.
  const metadata: Step[] = skipMetadata ? [] : [(w, input) => w.media.extractMetadata(input)];
  const wants = (...names: OutputName[]) => !outputs || names.some((n) => outputs.includes(n));
  const wanted = (name: OutputName, step: Step): Step[] => (wants(name) ? [step] : []);
  const thumbnail = wanted('thumbnail', (w, input) => w.media.createThumbnail(input));
  switch (kind) {
    case 'image':
      return [...metadata, ...wanted('optimized', (w, input) => w.media.processImage(input)), ...thumbnail];
    case 'video': {
      // Workflows started before previews existed took the thumbnail from a fixed frame (replay).
      if (!patched(VIDEO_PREVIEWS)) return [...metadata, ...wanted('optimized', (w, input) => w.transcoding.transcodeVideo(input)), ...thumbnail];
      // Before segmented transcoding, one activity transcoded the whole file here (replay).
      const transcode: Step[] = patched(SEGMENTED_TRANSCODE)
        ? wants('optimized', 'hls')
          ? [(w, input) => w.transcoding.splitVideo({ ...input, outputs })]
          : []
        : wanted('optimized', (w, input) => w.transcoding.transcodeVideo(input));
      return [
        ...metadata,
        // Previews first: quick, and a poster is there even while the transcode runs.
        ...(wants('poster', 'thumbnail') ? [(w: Worker, input: LocalStepInput) => w.media.createPoster({ ...input, outputs })] : []),
        ...wanted('storyboard', (w, input) => w.transcoding.createStoryboard({ ...input, outputs })),
        ...transcode,
      ];
    }
    case 'audio':
      if (!patched(VIDEO_PREVIEWS) || !wants('optimized', 'waveform')) return metadata;
      return [...metadata, (w, input) => w.transcoding.processAudio({ ...input, outputs })];
    case 'document':
      return [];
  }
}

/** Video gets a poster and thumbnail from a picked frame, and a storyboard; audio its renditions. */
const VIDEO_PREVIEWS = 'video-previews';
/** Video is cut at keyframes and its segments transcoded in parallel into an HLS ladder. */
const SEGMENTED_TRANSCODE = 'segmented-transcode';

/**
 * Ingest on one worker, then every later step on that same worker from its local copy; the last
 * step frees the copy itself (no extra round trip). If the worker is lost, another one takes the
 * upload from the immutable original.
 */
async function processOnOneWorker(
  uploadId: string,
  kind: MediaKind,
  outputs: UploadWorkflowInput['outputs'],
  { ingestQueue, rescan, skipMetadata }: PipelineOptions,
): Promise<unknown> {
  const steps = stepsFor(kind, outputs, skipMetadata);
  for (let round = 1; ; round++) {
    const { taskQueue } = await ingestOn(kind, ingestQueue).ingestOriginal({
      uploadId,
      keepLocalCopy: steps.length > 0,
      ...(rescan ? { rescan } : {}),
    });
    const worker = onWorker(taskQueue);
    try {
      let result: unknown;
      for (const [i, step] of steps.entries()) result = await step(worker, { uploadId, releaseAfter: i === steps.length - 1 });
      // The last step's answer (a video's segment plan).
      return result;
    } catch (err) {
      if (!workerLost(err)) {
        await releaseQuietly(worker.release, uploadId);
        throw err;
      }
      if (round >= MAX_WORKERS_PER_UPLOAD) throw err;
      log.warn('worker lost; another worker takes the upload over', { uploadId, round, taskQueue });
    }
  }
}

/**
 * The worker that held the local copy stopped answering (a step was never picked up, or stopped
 * heartbeating), or no longer has the copy. A step that merely ran past its start-to-close
 * timeout on a live worker is not a lost worker: moving it elsewhere would only repeat it.
 */
function workerLost(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const { cause } = err;
  if (cause instanceof TimeoutFailure) {
    return cause.timeoutType === TimeoutType.SCHEDULE_TO_START || cause.timeoutType === TimeoutType.HEARTBEAT;
  }
  return cause instanceof ApplicationFailure && cause.type === WORKSPACE_LOST;
}

/** Freeing the worker's copy is housekeeping: its own idle reaper covers a release that never lands. */
async function releaseQuietly(release: ReturnType<typeof onWorker>['release'], uploadId: string): Promise<void> {
  try {
    await release.releaseWorkspace({ uploadId });
  } catch (err) {
    log.warn('could not release the workspace', { uploadId, error: String(err) });
  }
}

/**
 * The upload URL stays valid until expiresAt, so a client could still PUT after the upload ended.
 * A child that outlives this workflow deletes whatever sits at the incoming key once the URL is
 * dead and the upload has ended.
 */
async function startIncomingSweeper(uploadId: string, expiresAt: number): Promise<void> {
  try {
    await startChild(incomingSweepWorkflow, {
      workflowId: incomingSweepWorkflowIdFor(uploadId),
      args: [{ uploadId, sweepAt: new Date(expiresAt + INCOMING_SWEEP_GRACE_MS).toISOString() }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    // Already running (this workflow was reset) is fine; anything else must not hold the upload up.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      log.warn('could not start the incoming sweeper', { uploadId, error: String(err) });
    }
  }
}

const PROCESSING_FAILED_MESSAGE = 'Processing kept failing after retries; the upload was not processed';

export type ProcessedOutcome = UploadWorkflowResult & { status: Exclude<TerminalStatus, 'expired'> };

function toOutcome(err: unknown): ProcessedOutcome {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type && REJECTION_CODES.has(cause.type)) {
    return { status: 'rejected', error: { code: cause.type, message: cause.message } };
  }
  // A tool's or service's own words (hosts, ports, paths) stay in the history and the logs; the
  // tenant gets the catalogue's.
  log.error('upload processing failed', { error: cause instanceof Error ? cause.message : String(cause) });
  return { status: 'failed', error: { code: 'PROCESSING_FAILED', message: PROCESSING_FAILED_MESSAGE } };
}

/** The path of workflows started before durable webhooks (see DURABLE_WEBHOOKS). */
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
